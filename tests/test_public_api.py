"""The public API is explicit: a sorted ``__all__`` whose names all exist, and py.typed."""

from __future__ import annotations

from importlib import resources

import basewatch


def test_all_is_sorted_and_complete() -> None:
    names = basewatch.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(basewatch, name), name


def test_package_is_typed() -> None:
    assert (resources.files("basewatch") / "py.typed").is_file()


def test_import_has_no_side_effects(tmp_path: object) -> None:
    import os
    import subprocess
    import sys

    cwd = str(tmp_path)
    subprocess.run([sys.executable, "-c", "import basewatch, basewatch.cli"], cwd=cwd, check=True)
    assert os.listdir(cwd) == []
