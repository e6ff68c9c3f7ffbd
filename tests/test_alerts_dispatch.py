"""Alerts are raised once and delivered to every sink, across failures and restarts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from basewatch import Store
from basewatch.alerts import Alert, Dispatcher, MemorySink, alert_id
from basewatch.errors import SinkError
from basewatch.retry import Backoff
from tests.test_alerts_sinks import ALERT

NOW = datetime(2025, 10, 24, 10, 0, tzinfo=UTC)


class FlakySink:
    """Fails ``failures`` times, then delivers into ``alerts``."""

    def __init__(self, failures: int, name: str = "flaky") -> None:
        self.failures = failures
        self.calls = 0
        self.alerts: list[Alert] = []
        self.name = name

    def send(self, alert: Alert) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise SinkError("down for maintenance")
        self.alerts.append(alert)


def _other(i: int) -> Alert:
    return dataclasses.replace(
        ALERT, alert_id=alert_id("arrival", "hmeimim", f"15a3c{i}"), icao24=f"15a3c{i}"
    )


def _no_sleep(seconds: float) -> None:
    pass


def test_the_same_alert_is_raised_once(store: Store) -> None:
    sink = MemorySink()
    d = Dispatcher(store, [sink], sleep=_no_sleep)
    assert d.raise_alerts([ALERT, ALERT], NOW) == [ALERT]
    assert d.raise_alerts([ALERT], NOW + timedelta(hours=1)) == []
    assert sink.alerts == [ALERT]


def test_every_sink_gets_every_alert_in_order(store: Store) -> None:
    a, b = MemorySink(name="a"), MemorySink(name="b")
    alerts = [_other(i) for i in range(3)]
    Dispatcher(store, [a, b], sleep=_no_sleep).raise_alerts(alerts, NOW)
    assert a.alerts == alerts
    assert b.alerts == alerts


def test_a_failing_sink_keeps_its_alert_pending_and_others_are_unaffected(store: Store) -> None:
    good, bad = MemorySink(name="good"), FlakySink(failures=5)
    d = Dispatcher(store, [good, bad], backoff=Backoff(attempts=3), sleep=_no_sleep)
    d.raise_alerts([ALERT], NOW)
    assert good.alerts == [ALERT]
    assert bad.alerts == []
    assert bad.calls == 3
    assert "flaky" in d.errors[0]
    pending = store.con.execute(
        "SELECT sink, attempts, last_error FROM alert_deliveries WHERE delivered_at IS NULL"
    ).fetchall()
    assert pending == [("flaky", 1, "down for maintenance")]
    assert d.deliver_pending() == 1  # fifth failure then success
    assert bad.alerts == [ALERT]
    assert good.alerts == [ALERT]
    assert d.deliver_pending() == 0


def test_a_restart_delivers_what_was_pending_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bw.duckdb"
    with Store.open(path) as store:
        down = FlakySink(failures=100, name="hook")
        Dispatcher(store, [down], backoff=Backoff(attempts=2), sleep=_no_sleep).raise_alerts(
            [ALERT, _other(1)], NOW
        )
        assert down.alerts == []
    with Store.open(path) as store:  # the watcher restarts; the receiver is back
        up = MemorySink(name="hook")
        d = Dispatcher(store, [up], sleep=_no_sleep)
        assert d.deliver_pending() == 2
        assert d.raise_alerts([ALERT, _other(1)], NOW + timedelta(minutes=5)) == []
        assert up.alerts == [ALERT, _other(1)]


def test_cooldown_suppresses_repeats_about_the_same_aircraft(store: Store) -> None:
    sink = MemorySink()
    d = Dispatcher(store, [sink], cooldown_s={"watchlist": 3600}, sleep=_no_sleep)
    first = dataclasses.replace(ALERT, kind="watchlist", alert_id=alert_id("watchlist", 1))
    again = dataclasses.replace(first, alert_id=alert_id("watchlist", 2))
    later = dataclasses.replace(first, alert_id=alert_id("watchlist", 3))
    assert d.raise_alerts([first], NOW) == [first]
    assert d.raise_alerts([again], NOW + timedelta(minutes=30)) == []
    assert d.raise_alerts([later], NOW + timedelta(hours=2)) == [later]
    assert [a.alert_id for a in sink.alerts] == [first.alert_id, later.alert_id]


def test_stored_alert_round_trips(store: Store) -> None:
    sink = FlakySink(failures=1)
    d = Dispatcher(store, [sink], backoff=Backoff(attempts=1), sleep=_no_sleep)
    d.raise_alerts([ALERT], NOW)
    d.deliver_pending()
    assert sink.alerts == [ALERT]  # rebuilt from the stored document, field for field


@pytest.mark.parametrize("kind", ["arrival", "resumption"])
def test_alert_ids_are_stable_and_distinct(kind: str) -> None:
    assert alert_id(kind, "hmeimim", "15a3c2") == alert_id(kind, "hmeimim", "15a3c2")
    assert alert_id(kind, "hmeimim", "15a3c2") != alert_id(kind, "hmeimim", "15a3c3")
    assert alert_id(kind, "x").startswith(f"{kind}-")
