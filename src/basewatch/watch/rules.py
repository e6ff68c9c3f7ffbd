"""Alert rules of the config evaluated against the store after each watch cycle.

Each rule kind is one query over tables the pipeline keeps current (visits, flights, positions,
aircraft_class); alert ids come from what the alert is about, so re-evaluating is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from basewatch.activity import ActivityAnalyzer, resolve_base
from basewatch.alerts import Alert, alert_id
from basewatch.alerts.model import iso
from basewatch.config import AlertRule, Config
from basewatch.errors import ConfigError
from basewatch.store import Store

#: Squawk codes of emergencies: unlawful interference, radio failure, general emergency.
EMERGENCY_SQUAWKS = ("7500", "7600", "7700")
SQUAWK_MEANING = {"7500": "hijack", "7600": "radio failure", "7700": "emergency"}


@dataclass(frozen=True)
class RuleContext:
    """What one evaluation sees: the data's time now, how far back alerts may reach, the
    ingests of this cycle (new positions) and the feeds that are down (seconds)."""

    now: datetime
    since: datetime
    ingest_ids: Sequence[int] = ()
    feeds_down: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertRules:
    """The config's ``alerts: rules`` as evaluators; ``silence_s`` is how long an aircraft must
    have been silent before a dark (inferred) arrival is announced."""

    config: Config
    silence_s: float = 600.0

    def evaluate(self, store: Store, ctx: RuleContext) -> list[Alert]:
        """Every alert the rules raise now, in rule order then time order."""
        found: list[Alert] = []
        for rule in self.config.alerts.rules:
            found.extend(self._kinds()[rule.on](store, rule, ctx))
        return found

    def _kinds(self) -> dict[str, Callable[[Store, AlertRule, RuleContext], list[Alert]]]:
        return {
            "arrival": self._arrivals,
            "departure": self._departures,
            "resumption": self._resumptions,
            "pause": self._pause,
            "surge": self._surges,
            "watchlist": self._watchlist,
            "squawk": self._squawks,
            "feed_down": self._feeds_down,
        }

    def _visits(self, store: Store, base: str, ctx: RuleContext) -> list[dict[str, Any]]:
        """The base's settled visits: observed, or inferred and silent for ``silence_s`` (a dark
        arrival is announced, and counted for resumptions, once the aircraft stayed silent)."""
        rows = store.con.sql(
            "SELECT v.*, f.end_time AS last_seen FROM visits v "
            "LEFT JOIN flights f USING (flight_id) WHERE v.base = $base "
            "AND (NOT v.inferred OR f.end_time IS NULL OR f.end_time <= $settled) "
            "ORDER BY arrival_time",
            params={"base": base, "settled": ctx.now - timedelta(seconds=self.silence_s)},
        ).to_arrow_table()
        visits: list[dict[str, Any]] = rows.to_pylist()
        return visits

    def _arrivals(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        out = []
        base = _need_base(rule)
        for v in self._visits(store, base, ctx):
            if v["arrival_time"] < ctx.since or not _watched(v, rule):
                continue
            how = (
                f"inferred landing, confidence {v['confidence']:.2f}"
                if v["inferred"]
                else "observed landing"
            )
            out.append(
                Alert(
                    alert_id=alert_id("arrival", base, v["icao24"], v["flight_id"]),
                    kind="arrival",
                    time=v["arrival_time"],
                    title=f"{_who(v)} arrived at {_base_label(self.config, base)}",
                    message=f"{_who(v, long=True)} arrived at {_base_label(self.config, base)} "
                    f"at {iso(v['arrival_time'])} ({how}); from {v['origin'] or 'unknown'}.",
                    base=base,
                    icao24=v["icao24"],
                    evidence=_visit_evidence(v),
                )
            )
        return out

    def _departures(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        out = []
        base = _need_base(rule)
        for v in self._visits(store, base, ctx):
            t = v["departure_time"]
            if t is None or t < ctx.since or not _watched(v, rule):
                continue
            out.append(
                Alert(
                    alert_id=alert_id("departure", base, v["icao24"], v["departure_flight_id"]),
                    kind="departure",
                    time=t,
                    title=f"{_who(v)} left {_base_label(self.config, base)}",
                    message=f"{_who(v, long=True)} took off from "
                    f"{_base_label(self.config, base)} at {iso(t)}"
                    + (f", heading for {v['destination']}." if v["destination"] else "."),
                    base=base,
                    icao24=v["icao24"],
                    evidence=_visit_evidence(v),
                )
            )
        return out

    def _activity(
        self, store: Store, rule: AlertRule, ctx: RuleContext
    ) -> dict[str, list[dict[str, Any]]]:
        visits = self._visits(store, _need_base(rule), ctx)
        days = rule.after_days if rule.after_days is not None else 30.0
        return ActivityAnalyzer(pause_days=days).analyze(
            [(v["arrival_time"], v["icao24"]) for v in visits if _watched(v, rule)]
        )

    def _resumptions(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        base = _need_base(rule)
        label = _base_label(self.config, base)
        # the arrival's flight names the event: its time is refined as the landing is seen
        flights = {
            (v["icao24"], iso(v["arrival_time"].replace(microsecond=0))): v["flight_id"]
            for v in self._visits(store, base, ctx)
        }
        out = []
        for r in self._activity(store, rule, ctx)["resumptions"]:
            t = _parse(r["time"])
            if t < ctx.since:
                continue
            flight = flights.get((r["icao24"], r["time"]), r["time"])
            out.append(
                Alert(
                    alert_id=alert_id("resumption", base, r["icao24"], flight),
                    kind="resumption",
                    time=t,
                    title=f"Flights to {label} resumed after {r['after_days']:.0f} days",
                    message=f"First watched arrival at {label} in {r['after_days']:.0f} days: "
                    f"{r['icao24']} at {r['time']}.",
                    base=base,
                    icao24=r["icao24"],
                    evidence=dict(r),
                )
            )
        return out

    def _pause(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        base = _need_base(rule)
        visits = [v for v in self._visits(store, base, ctx) if _watched(v, rule)]
        days = rule.after_days if rule.after_days is not None else 30.0
        if not visits or ctx.now - visits[-1]["arrival_time"] < timedelta(days=days):
            return []
        last = visits[-1]
        label = _base_label(self.config, base)
        return [
            Alert(
                alert_id=alert_id("pause", base, iso(last["arrival_time"])),
                kind="pause",
                time=last["arrival_time"] + timedelta(days=days),
                title=f"No watched arrival at {label} for {days:.0f} days",
                message=f"The last watched arrival at {label} was {_who(last)} at "
                f"{iso(last['arrival_time'])}.",
                base=base,
                evidence=_visit_evidence(last),
            )
        ]

    def _surges(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        base = _need_base(rule)
        label = _base_label(self.config, base)
        out = []
        for s in self._activity(store, rule, ctx)["surges"]:
            if _parse(s["end"]) < ctx.since:
                continue
            out.append(
                Alert(
                    alert_id=alert_id("surge", base, s["start"]),
                    kind="surge",
                    time=_parse(s["start"]),
                    title=f"Surge at {label}: {s['count']} arrivals",
                    message=f"{s['count']} watched arrivals at {label} between {s['start']} and "
                    f"{s['end']} against a baseline of {s['baseline']}.",
                    base=base,
                    evidence=dict(s),
                )
            )
        return out

    def _watchlist(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        name = str(rule.options.get("watchlist") or rule.watch or "")
        if not name or not ctx.ingest_ids:
            return []
        rows = store.con.sql(
            _NEW_POSITIONS + "list_contains(c.watchlists, $name) "
            "QUALIFY row_number() OVER (PARTITION BY p.icao24 ORDER BY p.time) = 1 "
            "ORDER BY p.time, p.icao24",
            params={"ids": list(ctx.ingest_ids), "name": name},
        ).to_arrow_table()
        return [
            Alert(
                alert_id=alert_id("watchlist", name, r["icao24"], r["time"].date().isoformat()),
                kind="watchlist",
                time=r["time"],
                title=f"Watchlist {name}: {_who(r)} seen",
                message=f"{_who(r, long=True)} seen at {r['lat']:.3f}, {r['lon']:.3f} "
                f"({r['alt_baro_ft'] if r['alt_baro_ft'] is not None else '?'} ft) at "
                f"{iso(r['time'])}; source {r['path']}.",
                base=name,
                icao24=r["icao24"],
                evidence=_position_evidence(r),
            )
            for r in rows.to_pylist()
        ]

    def _squawks(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        if not ctx.ingest_ids:
            return []
        codes = [str(c) for c in rule.options.get("codes", EMERGENCY_SQUAWKS)]
        radius = float(rule.options.get("radius_km", 150.0))
        bases = [rule.base] if rule.base else [b.name for b in self.config.bases]
        out = []
        for name in bases:
            b = resolve_base(name, self.config)
            rows = store.con.sql(
                _NEW_POSITIONS + "list_contains($codes, p.squawk) "
                "AND bw_hav_km(p.lat, p.lon, $lat, $lon) <= $radius "
                "QUALIFY row_number() OVER (PARTITION BY p.icao24, p.squawk ORDER BY p.time) = 1 "
                "ORDER BY p.time, p.icao24",
                params={
                    "ids": list(ctx.ingest_ids),
                    "codes": codes,
                    "lat": b.lat,
                    "lon": b.lon,
                    "radius": radius,
                },
            ).to_arrow_table()
            for r in rows.to_pylist():
                meaning = SQUAWK_MEANING.get(r["squawk"], "special code")
                hour = r["time"].replace(minute=0, second=0, microsecond=0)
                out.append(
                    Alert(
                        alert_id=alert_id("squawk", r["icao24"], r["squawk"], iso(hour)),
                        kind="squawk",
                        time=r["time"],
                        title=f"Squawk {r['squawk']} ({meaning}) near {b.name}: {_who(r)}",
                        message=f"{_who(r, long=True)} squawked {r['squawk']} ({meaning}) at "
                        f"{iso(r['time'])}, {r['lat']:.3f}, {r['lon']:.3f}, near {b.name}.",
                        base=b.name,
                        icao24=r["icao24"],
                        evidence=_position_evidence(r),
                    )
                )
        return out

    def _feeds_down(self, store: Store, rule: AlertRule, ctx: RuleContext) -> list[Alert]:
        minutes = float(rule.options.get("after_minutes", 10.0))
        out = []
        for feed, seconds in sorted(ctx.feeds_down.items()):
            if seconds < minutes * 60:
                continue
            since = ctx.now - timedelta(seconds=seconds)
            out.append(
                Alert(
                    alert_id=alert_id("feed_down", feed, iso(since)),
                    kind="feed_down",
                    time=ctx.now,
                    title=f"Feed down for {seconds / 60:.0f} min: {feed}",
                    message=f"No data from {feed} since {iso(since)}.",
                    evidence={"feed": feed, "down_since": iso(since), "down_s": round(seconds)},
                )
            )
        return out


_NEW_POSITIONS = """
SELECT p.time, p.icao24, p.callsign, p.lat, p.lon, p.alt_baro_ft, p.squawk, p.pos_source,
    i.path, i.sha256, c.registration, c.type_code AS type, c.country_name, c.verdict
FROM positions p
JOIN ingests i USING (ingest_id)
LEFT JOIN aircraft_class c USING (icao24)
WHERE p.ingest_id IN (SELECT unnest($ids::BIGINT[])) AND """


def _need_base(rule: AlertRule) -> str:
    if not rule.base:
        raise ConfigError(f"alert rule on: {rule.on} needs a base")
    return rule.base


def _watched(v: Mapping[str, Any], rule: AlertRule) -> bool:
    """The rule's ``watch`` class (state, military, all; default: the base's own watch)."""
    watch = rule.watch
    if watch in (None, "all"):
        return True
    if watch in ("state", "military"):
        return bool(v.get(watch))
    return watch in (v.get("watchlists") or []) or (v.get("type") or "").upper() == watch.upper()


def _who(v: Mapping[str, Any], long: bool = False) -> str:
    name = " ".join(x for x in (v.get("type"), v.get("registration")) if x) or v["icao24"]
    if not long:
        return name
    extra = ", ".join(
        x for x in (v["icao24"], (v.get("callsign") or "").strip(), v.get("verdict")) if x
    )
    return f"{name} ({extra})"


def _base_label(config: Config, name: str) -> str:
    base = config.base(name)
    icao = f" ({base.icao})" if base is not None and base.icao else ""
    return f"{name.capitalize() if name.islower() else name}{icao}"


def _visit_evidence(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "flight_id": v["flight_id"],
        "arrival_time": iso(v["arrival_time"]),
        "inferred": v["inferred"],
        "confidence": v["confidence"],
        "origin": v["origin"],
        "how": v["how"],
        "lat": v["arrival_lat"],
        "lon": v["arrival_lon"],
    }


def _position_evidence(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "time": iso(r["time"]),
        "lat": r["lat"],
        "lon": r["lon"],
        "alt_baro_ft": r["alt_baro_ft"],
        "squawk": r["squawk"],
        "pos_source": r["pos_source"],
        "source": r["path"],
        "sha256": r["sha256"],
    }


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
