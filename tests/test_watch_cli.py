"""``basewatch watch`` from the command line: one cycle, and a clean stop on SIGTERM with
everything polled stored and every alert delivered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from basewatch import Store
from tests.feedserver import ReplayServer, Reply
from tests.test_cli import run

POINT = "/v2/point/35.4011/35.9487/250"


def _snapshot(now_ms: int, i: int = 0) -> dict[str, object]:
    ac = {
        "hex": "4b1805", "type": "adsb_icao", "flight": "SWR18   ", "alt_baro": 9000,
        "gs": 300, "track": 10.0, "squawk": "7700", "lat": 35.2 + i / 100, "lon": 35.9,
        "seen_pos": 0.5, "seen": 0.1,
    }  # fmt: skip
    return {"ac": [ac], "msg": "No error", "now": now_ms, "total": 1, "ctime": now_ms}


def _config(tmp: Path, url: str) -> Path:
    path = tmp / "basewatch.yaml"
    path.write_text(
        f"""
bases:
  hmeimim: {{icao: OSLK, radius_km: 15, watch: [state]}}
feeds:
  - {{kind: adsbx_v2, url: "{url}", point: hmeimim, radius_nm: 250, every_s: 1,
      point_path: "/v2/point/{{lat}}/{{lon}}/{{radius}}"}}
alerts:
  rules: [{{on: squawk, base: hmeimim, radius_km: 100}}]
  sinks: [{{kind: jsonl, path: "{tmp / "alerts.jsonl"}"}}]
"""
    )
    return path


@pytest.fixture
def server() -> ReplayServer:
    s = ReplayServer().start()
    yield s  # type: ignore[misc]
    s.stop()


def test_watch_once_stores_and_alerts(tmp_path: Path, server: ReplayServer) -> None:
    now_ms = int(time.time() * 1000)
    server.script(POINT, Reply.json(_snapshot(now_ms)))
    config, db = _config(tmp_path, server.url), tmp_path / "w.duckdb"
    result = run("--config", str(config), "--quiet", "watch", "--once", db=db)
    assert result.returncode == 0, result.stderr
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0] == 1
    [alert] = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert alert["kind"] == "squawk"
    assert alert["icao24"] == "4b1805"


def test_watch_without_feeds_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "basewatch.yaml"
    config.write_text("bases:\n  x: {icao: OSLK}\n")
    result = run("--config", str(config), "watch", "--once", db=tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert "no feeds configured" in result.stderr


def test_sigterm_stops_cleanly_with_nothing_lost(tmp_path: Path, server: ReplayServer) -> None:
    start_ms = int(time.time() * 1000)
    server.script(POINT, *(Reply.json(_snapshot(start_ms + i * 1000, i)) for i in range(200)))
    config, db = _config(tmp_path, server.url), tmp_path / "w.duckdb"
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "basewatch", "--config", str(config), "--db", str(db), "watch",
         "--tick", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(server.hits(POINT)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # polling the server's request log, not waiting and hoping
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr.decode()
    assert b"stopped: feeds 1/1 up" in stderr
    served = len(server.hits(POINT))
    with Store.open(db, read_only=True) as store:
        stored = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        pending = store.con.execute(
            "SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL"
        ).fetchall()[0][0]
    assert stored == served  # every response polled was stored before the process ended
    assert pending == 0
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1


def _start(config: Path, db: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "basewatch", "--config", str(config), "--db", str(db), "watch"]
    return subprocess.Popen([*cmd, "--tick", "0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)  # polling the server's request log and the sink file


def test_killed_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path, server: ReplayServer
) -> None:
    start_ms = int(time.time() * 1000)
    server.script(POINT, *(Reply.json(_snapshot(start_ms + i * 1000, i)) for i in range(400)))
    config, db = _config(tmp_path, server.url), tmp_path / "w.duckdb"
    sink = tmp_path / "alerts.jsonl"
    first = _start(config, db)
    _wait(lambda: sink.exists() and len(server.hits(POINT)) >= 1, first)
    seen = len(server.hits(POINT))
    _wait(lambda: len(server.hits(POINT)) >= seen + 2, first)  # the delivery is marked by now
    first.kill()  # SIGKILL: no cleanup at all, maybe mid-transaction
    first.wait(timeout=30)
    second = _start(config, db)
    killed_at = len(server.hits(POINT))
    _wait(lambda: len(server.hits(POINT)) >= killed_at + 3, second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=60) == 0
    with Store.open(db, read_only=True) as store:
        dupes = store.con.execute(
            "SELECT count(*) FROM (SELECT icao24, time FROM positions GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchall()[0][0]
        alerts = store.con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert dupes == 0
    assert alerts == 1
    assert len(sink.read_text().splitlines()) == 1  # the squawk alert, once, across the kill
