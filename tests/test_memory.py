"""Batch malloc tuning: freed large arrays stay in the process for reuse (glibc), and the
command line tunes batch verbs only."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from basewatch.cli import app, common

ROOT = Path(__file__).resolve().parent.parent
GLIBC = ctypes.util.find_library("c") == "libc.so.6"

PROBE = """
import sys
import numpy as np
from basewatch.memory import keep_freed_memory
tuned = sys.argv[1] == "tuned" and keep_freed_memory()
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20
before = rss()
a = np.ones(25_000_000)  # 200 MB, touched
held = rss()
del a
print(tuned, round(held - before), round(rss() - before))
"""


def _probe(mode: str) -> tuple[bool, int, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("MALLOC_MMAP_THRESHOLD_", None)
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    return out[0] == "True", int(out[1]), int(out[2])


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_freed_arrays_stay_for_reuse_only_when_tuned() -> None:
    tuned, held, after = _probe("tuned")
    assert tuned and held >= 190 and after >= 190  # kept in the heap after the free
    plain, held, after = _probe("plain")
    assert not plain and held >= 190 and after < 20  # unmapped at once


def test_the_command_line_tunes_batch_verbs_not_long_running_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(common, "keep_freed_memory", lambda: calls.append(True) or True)
    runner = CliRunner()
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["--db", db, "flights", "--json"]).exit_code == 0
    assert calls == [True]
    for verb in common.LONG_RUNNING:
        assert runner.invoke(app, ["--db", db, verb, "--help"]).exit_code == 0
    assert calls == [True]
