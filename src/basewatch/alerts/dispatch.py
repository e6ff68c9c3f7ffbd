"""Raise alerts once and deliver them to every sink, with state kept in the store.

An alert is recorded (with one pending delivery per sink) in the same transaction before any
sink is called; deliveries are marked when they succeed. A restart re-sends what is pending, so
no alert is lost; a stable id already in the store is never raised again, so none is duplicated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from basewatch.alerts.model import Alert
from basewatch.alerts.sinks import Sink
from basewatch.errors import SinkError
from basewatch.retry import Backoff
from basewatch.store import Store


def subject(alert: Alert) -> str:
    """What a cooldown is about: the same kind of alert at the same base for the same aircraft."""
    return f"{alert.kind}:{alert.base or ''}:{alert.icao24 or ''}"


@dataclass
class Dispatcher:
    """Dedup (stable ids), cooldowns per kind, delivery with retries, state in the store."""

    store: Store
    sinks: Sequence[Sink]
    cooldown_s: Mapping[str, float] = field(default_factory=dict)
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep
    errors: list[str] = field(default_factory=list)

    def raise_alerts(self, alerts: Sequence[Alert], now: datetime | None = None) -> list[Alert]:
        """Record the alerts not seen before (and not in cooldown), deliver them; returns them."""
        now = now or datetime.now(UTC)
        fresh = [a for a in _unique(alerts) if not self._seen(a) and not self._cooling(a, now)]
        if fresh:
            self._record(fresh, now)
            self.deliver_pending()
        return fresh

    def deliver_pending(self) -> int:
        """Deliver every recorded, undelivered (alert, sink) pair in raise order; returns how
        many succeeded. Failures stay pending for the next call (and the next run)."""
        rows = self.store.con.execute(
            "SELECT a.doc, d.sink FROM alert_deliveries d JOIN alerts a USING (alert_id) "
            "WHERE d.delivered_at IS NULL ORDER BY a.seq, d.sink"
        ).fetchall()
        by_name = {s.name: s for s in self.sinks}
        done = 0
        for doc, sink_name in rows:
            sink = by_name.get(sink_name)
            if sink is not None and self._deliver(sink, _alert(json.loads(doc))):
                done += 1
        return done

    def _deliver(self, sink: Sink, alert: Alert) -> bool:
        con = self.store.con
        try:
            self.backoff.call(lambda: sink.send(alert), (SinkError,), sleep=self.sleep)
        except SinkError as exc:
            self.errors.append(f"{sink.name}: {alert.alert_id}: {exc}")
            con.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ? "
                "WHERE alert_id = ? AND sink = ?",
                [str(exc), alert.alert_id, sink.name],
            )
            return False
        con.execute(
            "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = now(), "
            "last_error = NULL WHERE alert_id = ? AND sink = ?",
            [alert.alert_id, sink.name],
        )
        return True

    def _seen(self, alert: Alert) -> bool:
        rows = self.store.con.execute(
            "SELECT count(*) FROM alerts WHERE alert_id = ?", [alert.alert_id]
        ).fetchall()
        return bool(rows[0][0])

    def _cooling(self, alert: Alert, now: datetime) -> bool:
        cooldown = self.cooldown_s.get(alert.kind, 0.0)
        if cooldown <= 0:
            return False
        rows = self.store.con.execute(
            "SELECT max(raised_at) FROM alerts WHERE subject = ?", [subject(alert)]
        ).fetchall()
        last = rows[0][0]
        return last is not None and now - last < timedelta(seconds=cooldown)

    def _record(self, alerts: list[Alert], now: datetime) -> None:
        con = self.store.con
        con.execute("BEGIN TRANSACTION")
        try:
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM alerts").fetchall()[0][0]
            for i, a in enumerate(alerts, start=seq + 1):
                con.execute(
                    "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [a.alert_id, i, a.kind, subject(a), a.time, now, json.dumps(a.as_json())],
                )
                for sink in self.sinks:
                    con.execute(
                        "INSERT INTO alert_deliveries (alert_id, sink) VALUES (?, ?)",
                        [a.alert_id, sink.name],
                    )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _unique(alerts: Sequence[Alert]) -> list[Alert]:
    """First of each id, in order (two feeds in one cycle may raise the same alert)."""
    seen: set[str] = set()
    out = []
    for a in alerts:
        if a.alert_id not in seen:
            seen.add(a.alert_id)
            out.append(a)
    return out


def _alert(doc: dict[str, object]) -> Alert:
    """An alert back from its stored JSON document."""
    evidence = doc.get("evidence")
    return Alert(
        alert_id=str(doc["alert_id"]),
        kind=str(doc["kind"]),
        time=datetime.fromisoformat(str(doc["time"]).replace("Z", "+00:00")),
        title=str(doc["title"]),
        message=str(doc["message"]),
        base=str(doc["base"]) if doc.get("base") is not None else None,
        icao24=str(doc["icao24"]) if doc.get("icao24") is not None else None,
        evidence=evidence if isinstance(evidence, dict) else {},
    )
