"""The bases overview: per configured base, its visits per period (last 7, 30 and 365 days and
per month), the last arrival, and badges for a recent resumption or surge or a running pause.

"Now" is the newest position in the store (its ingests' last times), so a store of past data
reads as it did then; with the watcher running that is the live feed's latest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from basewatch.activity import ActivityAnalyzer, ResolvedBase
from basewatch.report.headline import parse
from basewatch.report.words import aircraft_label, base_title, day, plural, type_label
from basewatch.store import Store
from basewatch.web.context import Context
from basewatch.web.params import iso

RECENT = timedelta(days=30)
WINDOWS = (7, 30, 365)
MONTHS = 12


def newest_time(store: Store) -> datetime | None:
    """The newest position time of any ingest (the store's "now")."""
    rows = store.con.execute("SELECT max(last_time) FROM ingests").fetchall()
    value: datetime | None = rows[0][0]
    return value


def overview_doc(ctx: Context, store: Store) -> dict[str, Any]:
    """Every configured base's summary, in config order."""
    now = newest_time(store)
    notes, _ = ctx.status(store)
    bases = [_summary(ctx, store, ctx.base(b.name), now) for b in ctx.config.bases]
    return {"as_of": iso(now), "bases": bases, "notes": notes}


def _summary(
    ctx: Context, store: Store, base: ResolvedBase, now: datetime | None
) -> dict[str, Any]:
    rows = ctx.visit_rows(store, base)
    configured = ctx.config.base(base.name)
    title = base_title(base.name, configured.label if configured else None)
    times = [r["arrival_time"] for r in rows]
    counts = {
        f"last_{d}_days": sum(1 for t in times if now is not None and now - t <= timedelta(days=d))
        for d in WINDOWS
    }
    last = rows[-1] if rows else None
    return {
        "name": base.name,
        "title": title,
        "icao": base.icao,
        "lat": base.lat,
        "lon": base.lon,
        "radius_km": base.radius_km,
        "watch": list(base.watch),
        "visits": {"total": len(rows), **counts},
        "months": _months(times, now),
        "last_arrival": _arrival(last) if last else None,
        "badges": _badges(rows, now),
        "url": f"/bases/{base.name}",
        "api": f"/api/bases/{base.name}",
    }


def _arrival(row: dict[str, Any]) -> dict[str, Any]:
    label = aircraft_label(row["registration"], type_label(row["type"], None), row["icao24"])
    return {
        "time": iso(row["arrival_time"]),
        "icao24": row["icao24"],
        "label": label,
        "origin": row["origin"],
        "inferred": row["inferred"],
    }


def _months(times: list[datetime], now: datetime | None) -> list[dict[str, Any]]:
    """Arrivals per calendar month, the last ``MONTHS`` months up to ``now``."""
    if now is None:
        return []
    year, month = now.year, now.month
    keys = []
    for _ in range(MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    counts = dict.fromkeys(reversed(keys), 0)
    for t in times:
        key = f"{t.year:04d}-{t.month:02d}"
        if key in counts:
            counts[key] += 1
    top = max(counts.values(), default=0)
    return [{"month": k, "visits": n, "share": n / top if top else 0.0} for k, n in counts.items()]


def _badges(rows: list[dict[str, Any]], now: datetime | None) -> list[dict[str, str]]:
    """A resumption or surge in the last 30 days, or a pause still running."""
    if now is None or not rows:
        return []
    analyzer = ActivityAnalyzer()
    activity = analyzer.analyze(
        [(r["arrival_time"].replace(microsecond=0), r["icao24"]) for r in rows]
    )
    out = []
    for r in activity["resumptions"]:
        t = parse(r["time"])
        if now - t <= RECENT:
            text = f"resumed {day(t, year=False)} after {r['after_days']:.0f} days"
            out.append({"kind": "resumption", "text": text})
    for s in activity["surges"]:
        if now - parse(s["end"]) <= RECENT:
            days = (parse(s["end"]) - parse(s["start"])).days
            text = f"surge: {s['count']} arrivals in {plural(days, 'day')}"
            out.append({"kind": "surge", "text": text})
    idle = (now - rows[-1]["arrival_time"]).total_seconds() / 86_400
    if idle > analyzer.pause_days:
        out.append({"kind": "pause", "text": f"no arrival for {idle:.0f} days"})
    return out
