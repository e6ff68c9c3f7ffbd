"""Flightradar24 exports of one flight: the CSV download and the KML download.

FR24 exports carry no ICAO address: ``options.icao24`` is used when given, else a synthetic
non-ICAO address ``~`` + the first 6 hex digits of sha1("<CALLSIGN>|<YYYY-MM-DD>"), from the
trimmed upper-case callsign and the UTC date of the first timed row, so re-exports of one flight
share it. Altitude is FR24's (barometric, 0 on the ground); ``on_ground`` stays null because the
export does not say it. KML layout: Route placemarks with TimeStamp and Point ``lon,lat,metres``
(as in till213/SkyDolly ``src/Plugins/Flight/Import/KmlImport/doc/FlightRadar24_*.kml``).
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, ClassVar, cast

import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import FT_PER_M
from basewatch.sources.base import GZIP_ERRORS, Blob, Chunk, ReadOptions, Reject
from basewatch.sources.columns import Column, to_chunk
from basewatch.sources.textcols import (
    BATCH_LINES,
    RowProblems,
    as_epoch,
    as_float,
    as_string,
    csv_batches,
    header_names,
)

CSV_HEADER = ("Timestamp", "UTC", "Callsign", "Position", "Altitude", "Speed", "Direction")
CSV_REQUIRED = ("Timestamp", "Callsign", "Position", "Altitude", "Speed", "Direction")
POSITION = r"^\s*(?P<lat>[^,]*),(?P<lon>[^,]*)\s*$"
KML_NS_FREE = re.compile(r"^\{[^}]*\}")
SPEED = re.compile(r"Speed:\s*</b>\s*</span>\s*<span>\s*(\d+(?:\.\d+)?)\s*kt", re.IGNORECASE)
HEADING = re.compile(r"Heading:\s*</b>\s*</span>\s*<span>\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def synthetic_address(callsign: str | None, first_time: float) -> str:
    """The ``~`` address of an FR24 export: sha1 of the callsign and the first row's UTC date."""
    day = datetime.fromtimestamp(first_time, UTC).date().isoformat()
    key = f"{(callsign or '').strip().upper()}|{day}"
    return "~" + hashlib.sha1(key.encode()).hexdigest()[:6]


class Fr24Csv:
    """Adapter for the Flightradar24 CSV export of one flight."""

    name: ClassVar[str] = "fr24_csv"
    description: ClassVar[str] = "Flightradar24 CSV export (Timestamp,UTC,Callsign,Position,...)"

    def sniff(self, head: bytes) -> bool:
        return tuple(header_names(head)) == CSV_HEADER

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        address = options.icao24
        for batch in csv_batches(blob, CSV_REQUIRED):
            if not batch.table.num_rows:
                yield to_chunk({}, [], options, batch.rejects)
                continue
            cols = {
                n: c.combine_chunks()
                for n, c in zip(batch.table.column_names, batch.table.columns, strict=True)
            }
            problems = RowProblems(batch.table.num_rows)
            parsed = _csv_columns(cols, problems)
            if address is None:
                address = _first_address(parsed["callsign"], parsed["time"])
            if address is not None:
                parsed["icao24"] = pa.repeat(pa.scalar(address, pa.string()), len(parsed["time"]))
            rejects = [*batch.rejects, *problems.rejects(batch.lines, batch.table)]
            keep = problems.ok
            kept = {k: a.filter(keep) for k, a in parsed.items()}
            yield to_chunk(kept, batch.lines.filter(keep), options, rejects)


def _csv_columns(cols: dict[str, pa.Array], problems: RowProblems) -> dict[str, pa.Array]:
    """Canonical columns of FR24 CSV rows (feet, knots, degrees already)."""
    time, bad = as_epoch(cols["Timestamp"])
    problems.add(bad, "Timestamp: not a time")
    if "UTC" in cols:
        utc, _ = as_epoch(cols["UTC"])
        time = pc.coalesce(time, utc)
    position = cols["Position"]
    parts = pc.extract_regex(position, POSITION)
    problems.add(
        pc.and_(pc.is_valid(as_string(position)), pc.is_null(parts)), "Position: not lat,lon"
    )
    lat, bad_lat = as_float(pc.struct_field(parts, "lat"))
    lon, bad_lon = as_float(pc.struct_field(parts, "lon"))
    problems.add(pc.or_(bad_lat, bad_lon), "Position: not lat,lon")
    out = {"time": time, "lat": lat, "lon": lon, "callsign": as_string(cols["Callsign"])}
    for name, key in (("Altitude", "alt_baro_ft"), ("Speed", "gs_kt"), ("Direction", "track_deg")):
        out[key], bad = as_float(cols[name])
        problems.add(bad, f"{name}: not a number")
    out["alt_baro_ft"] = pc.round(out["alt_baro_ft"])
    out["pos_source"] = pa.repeat(pa.scalar("other", pa.string()), len(time))
    return out


def _first_address(callsigns: pa.Array, times: pa.Array) -> str | None:
    """The synthetic address from the first callsign and the first valid time, if any."""
    good = pc.fill_null(pc.is_finite(times), False)
    if not pc.any(good).as_py():
        return None
    first_time = times.filter(good)[0].as_py()
    named = callsigns.drop_null()
    return synthetic_address(named[0].as_py() if len(named) else None, first_time)


class Fr24Kml:
    """Adapter for the Flightradar24 KML export of one flight (Route placemarks)."""

    name: ClassVar[str] = "fr24_kml"
    description: ClassVar[str] = "Flightradar24 KML export (Route placemarks with TimeStamp/Point)"

    def sniff(self, head: bytes) -> bool:
        return b"<kml" in head and b"flightradar24" in head.lower()

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        acc = _Placemarks(icao24=options.icao24)
        try:
            with blob.open() as fh:
                for item in _placemark_elements(fh, acc):
                    acc.add(*item)
                    if len(acc.records) >= BATCH_LINES:
                        yield acc.flush(options)
        except GZIP_ERRORS as exc:
            acc.rejects.append(Reject(f"corrupt or truncated gzip: {exc}"))
        yield acc.flush(options)


def _local(tag: Any) -> str:
    return KML_NS_FREE.sub("", tag) if isinstance(tag, str) else ""


def _placemark_elements(fh: IO[bytes], acc: _Placemarks) -> Iterator[tuple[int, ET.Element]]:
    """Stream Placemark elements (numbered from 1); DOCTYPE/ENTITY or bad XML end the file."""
    parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start", "end"))
    stack: list[str] = []
    tail = b""
    count = 0
    try:
        while chunk := fh.read(1 << 16):
            if any(bad in tail + chunk for bad in FORBIDDEN):
                acc.rejects.append(Reject("KML with DOCTYPE/ENTITY declarations is refused"))
                return
            tail = chunk[-16:]
            parser.feed(chunk)
            for event, elem in cast(Iterator[tuple[str, Any]], parser.read_events()):
                if not isinstance(elem, ET.Element):
                    continue
                tag = _local(elem.tag)
                if event == "start":
                    stack.append(tag)
                    continue
                stack.pop()
                if tag == "name" and stack[-1:] == ["Document"] and acc.title is None:
                    acc.title = (elem.text or "").strip()
                elif tag == "Placemark":
                    count += 1
                    yield count, elem
                    elem.clear()
        parser.close()
    except ET.ParseError as exc:
        acc.rejects.append(Reject(f"invalid or truncated XML after Placemark {count}: {exc}"))


def _child(elem: ET.Element, *path: str) -> ET.Element | None:
    """The first descendant reached through ``path`` (local names, any namespace)."""
    for name in path:
        found = next((c for c in elem if _local(c.tag) == name), None)
        if found is None:
            return None
        elem = found
    return elem


@dataclass
class _Placemarks:
    """Route points gathered until a chunk is due."""

    icao24: str | None = None
    title: str | None = None
    rows: list[tuple[float, float, float, float | None, float | None, float | None]] = field(
        default_factory=list
    )
    records: list[int] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def callsign(self) -> str | None:
        """FR24 names the document "<flight number>/<callsign>"; "-" means none."""
        if not self.title:
            return None
        name = self.title.rsplit("/", 1)[-1].strip()
        return None if name in ("", "-") else name

    def add(self, number: int, elem: ET.Element) -> None:
        coords = _child(elem, "Point", "coordinates")
        if coords is None:
            return  # a Trail segment or a label: not a position
        when = _child(elem, "TimeStamp", "when")
        seconds = _iso_seconds(when.text if when is not None else None)
        parts = (coords.text or "").strip().split(",")
        try:
            lon, lat, *alt = (float(p) for p in parts)
        except ValueError:
            self.rejects.append(
                Reject(
                    "Point coordinates are not lon,lat[,alt]", number, raw=repr(coords.text)[:300]
                )
            )
            return
        if seconds is None:
            raw = repr(when.text if when is not None else None)[:300]
            self.rejects.append(Reject("Placemark has no valid TimeStamp/when", number, raw=raw))
            return
        desc = _child(elem, "description")
        text = desc.text or "" if desc is not None else ""
        heading = _child(elem, "Style", "IconStyle", "heading")
        track = _number(heading.text if heading is not None else None)
        if track is None:
            track = _match(HEADING, text)
        feet = alt[0] * FT_PER_M if alt and math.isfinite(alt[0]) else None
        self.rows.append((seconds, lat, lon, feet, _match(SPEED, text), track))
        self.records.append(number)

    def flush(self, options: ReadOptions) -> Chunk:
        n = len(self.rows)
        cols = list(zip(*self.rows, strict=True)) if n else [()] * 6
        address = self.icao24
        if address is None and n:
            address = synthetic_address(self.callsign, self.rows[0][0])
            self.icao24 = address
        columns: dict[str, Column] = {
            "time": cols[0],
            "lat": cols[1],
            "lon": cols[2],
            "alt_baro_ft": pc.round(pa.array(cols[3], pa.float64())),
            "gs_kt": cols[4],
            "track_deg": cols[5],
            "icao24": [address] * n,
            "callsign": [self.callsign] * n,
            "pos_source": ["other"] * n,
        }
        chunk = to_chunk(columns, self.records, options, self.rejects)
        self.rows, self.records, self.rejects = [], [], []
        return chunk


def _iso_seconds(text: str | None) -> float | None:
    """Epoch seconds of a KML dateTime (a time without zone is taken as UTC)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _match(pattern: re.Pattern[str], text: str) -> float | None:
    found = pattern.search(text)
    return float(found.group(1)) if found else None
