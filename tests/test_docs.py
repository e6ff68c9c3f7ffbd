"""Docs are tested: every command is in the README, and its first two commands are the ones CI
and users run."""

from __future__ import annotations

import re

import typer.main

from basewatch.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _verbs() -> list[str]:
    group = typer.main.get_command(app)
    verbs = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        verbs += [f"{name} {sub}" for sub in subs] if subs else [name]
    return sorted(verbs)


def test_every_command_is_documented() -> None:
    verbs = _verbs()
    assert {"ingest", "stats", "flights", "routes", "aircraft show"} <= set(verbs)
    missing = [v for v in verbs if f"basewatch {v}" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    run_main, run_tests = blocks[0], blocks[1]
    assert run_main.startswith("pip install ")
    assert "basewatch" in run_main
    assert run_tests == "pip install -e '.[test]' && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pytest -q" in ci
