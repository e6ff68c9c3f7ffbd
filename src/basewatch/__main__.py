"""Run the command line with ``python -m basewatch``."""

from basewatch.cli import main

main()
