"""Mode S hex lines and Beast binary: real captures, the fixture, DF18, framing round trips."""

from __future__ import annotations

import csv
import gzip
import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import rs1090
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.sources import Blob, ReadOptions, Reject, detect_format
from basewatch.sources import lines as lines_module
from basewatch.sources.modes import Beast, BeastFrame, BeastSplitter, ModesHex, parse_beast
from basewatch.sources.modes_decode import COUNTER_WRAP, CounterClock
from basewatch.sources.sbs import Sbs
from tests.conftest import FIXTURES, positions, shared

CSV_CAPTURE = "modes/sample_data_adsb.csv"
BEAST_CAPTURE = "beast/sample_dump1090.bin"
RAW = FIXTURES / "modes" / "raw_30002.txt"
LFBO = (43.63, 1.37)
BEAST_TIME = datetime(2020, 2, 12, 10, 7, tzinfo=UTC)
T0 = datetime(2015, 11, 1, tzinfo=UTC)
CHARSET = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ#####_###############0123456789######"


# --- independent helpers: the Mode S CRC, altitude and callsign from the ME field --------------


def crc24(data: bytes) -> int:
    """Bitwise Mode S CRC-24, generator 0x1FFF409 (ICAO Annex 10 vol. IV)."""
    crc = 0
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1FFF409
    return crc & 0xFFFFFF


def squitter(first: int, body_hex: str) -> str:
    """A long frame with a valid parity: first byte, 10 more bytes, then the CRC."""
    data = bytes([first]) + bytes.fromhex(body_hex)
    return (data + crc24(data).to_bytes(3, "big")).hex().upper()


def typecode(frame: str) -> int:
    return int(frame[8:10], 16) >> 3


def airborne_altitude(frame: str) -> int:
    """Altitude of an ADS-B airborne position (TC 9-18), Q bit set: 25 ft steps above -1000."""
    code = (int(frame[8:22], 16) >> 36) & 0xFFF
    assert code & 0x10, "only Q=1 (25 ft) altitudes are expected here"
    return (((code >> 5) << 4) | (code & 0xF)) * 25 - 1000


def callsign(frame: str) -> str:
    me = int(frame[8:22], 16)
    return "".join(CHARSET[(me >> (42 - 6 * i)) & 0x3F] for i in range(8)).strip("#_ ")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _read(
    source: ModesHex | Beast, path: Path | str, options: ReadOptions, data: bytes | None = None
):  # type: ignore[no-untyped-def]
    rows: list[dict[str, object]] = []
    rejects: list[Reject] = []
    for chunk in source.read(Blob(path, data), options):
        rows += chunk.table.to_pylist()
        rejects += chunk.rejects
    return rows, rejects


# --- the real hex capture --------------------------------------------------------------------


def test_real_hex_capture(store: Store) -> None:
    path = shared(CSV_CAPTURE)
    with path.open() as fh:
        lines = list(csv.reader(fh))
    stamps = [float(r[0]) for r in lines]
    frames = [r[1] for r in lines]
    assert detect_format(Blob(path)).name == "modes_hex"
    rows, rejects = _read(ModesHex(), path, ReadOptions())
    assert rejects == []
    # every position comes from an airborne position message (typecode 9-18) of the file
    airborne = [n for n, f in enumerate(frames, 1) if 9 <= typecode(f) <= 18]
    assert {r["record"] for r in rows} <= set(airborne)
    # as many resolve as the decoder finds when it sees the whole file at once
    direct = rs1090.decode(frames, stamps)
    assert len(rows) == sum(1 for m in direct if "latitude" in m) > 0.8 * len(airborne)
    assert {r["icao24"] for r in rows} == {r[2].lower() for r in lines}
    assert all(min(stamps) <= r["time"].timestamp() <= max(stamps) for r in rows)  # type: ignore[union-attr]
    for row in rows:
        line = frames[int(row["record"]) - 1]  # type: ignore[call-overload]
        assert row["time"].timestamp() == stamps[int(row["record"]) - 1]  # type: ignore[union-attr,call-overload]
        assert row["alt_baro_ft"] == airborne_altitude(line)
        assert row["pos_source"] == "adsb" and row["on_ground"] is False
    # one aircraft, 730 s of flight: every position within reach of the first one
    lat0, lon0 = rows[0]["lat"], rows[0]["lon"]
    span_s = max(stamps) - min(stamps)
    reach_km = span_s * 0.3  # 300 m/s is faster than any airliner
    assert all(distance_km(lat0, lon0, r["lat"], r["lon"]) < reach_km for r in rows)  # type: ignore[arg-type]
    names = {callsign(f) for f in frames if 1 <= typecode(f) <= 4}
    assert {r["callsign"] for r in rows} <= names | {None}
    assert rows[-1]["callsign"] in names
    assert all(0 < r["gs_kt"] < 700 for r in rows if r["gs_kt"] is not None)  # type: ignore[operator]
    [result] = store.ingest([str(path)])
    assert result.accepted + result.duplicates == len(rows)


def test_hex_batches_keep_cpr_state(monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared(CSV_CAPTURE)
    whole, _ = _read(ModesHex(), path, ReadOptions())
    monkeypatch.setattr(lines_module, "BATCH_LINES", 7)
    chunked, _ = _read(ModesHex(), path, ReadOptions())
    assert chunked == whole


# --- the framed fixture ----------------------------------------------------------------------


def test_fixture_needs_a_reference_time() -> None:
    rows, rejects = _read(ModesHex(), RAW, ReadOptions())
    assert rows == []
    assert len(rejects) == len(RAW.read_text().splitlines())
    assert all("reference time" in r.reason for r in rejects)


def test_fixture_positions_carry_and_rejects(store: Store) -> None:
    assert detect_format(Blob(RAW)).name == "modes_hex"
    options = ReadOptions(reference_time=T0)
    [result] = store.ingest([str(RAW)], options=options)
    assert (result.accepted, result.rejected) == (1, 3)
    why = dict(store.con.execute("SELECT record, reason FROM rejects").fetchall())
    assert why == {
        6: "CRC check failed",
        7: "message is not 14 or 28 hex digits",
        8: "CRC check failed or undecodable",
    }
    [row] = positions(store)
    # the odd frame (line 5) resolves with the even one (line 3): pyModeS' documented position
    assert (row["lat"], row["lon"]) == (
        pytest.approx(49.81755, abs=1e-3),
        pytest.approx(6.08442, abs=1e-3),
    )
    assert row["time"] == T0 and row["alt_baro_ft"] == 39000
    # carried from the identification and velocity frames before it
    assert row["callsign"] == "EZY85MH"
    assert row["gs_kt"] == pytest.approx(159, abs=0.5)
    assert row["track_deg"] == pytest.approx(182.88, abs=0.01)
    assert row["vrate_fpm"] == -832
    [again] = store.ingest([str(RAW)], options=options)
    assert again.status == "already ingested"


def test_fixture_with_reference_decodes_the_lone_frame_locally() -> None:
    rows, _ = _read(ModesHex(), RAW, ReadOptions(reference=(49.0, 6.0), reference_time=T0))
    assert [r["record"] for r in rows] == [3, 5]
    # pyModeS test_adsb_airborne_position_with_ref: 49.82410, 6.06785
    assert rows[0]["lat"] == pytest.approx(49.82410, abs=1e-3)
    assert rows[0]["lon"] == pytest.approx(6.06785, abs=1e-3)


EVEN = "8D40058B58C901375147EFD09357"
ODD = "8D40058B58C904A87F402D3B8C59"


def test_line_shapes_and_their_times(tmp_path: Path) -> None:
    ts = T0.timestamp()
    text = "\n".join(
        [
            "timestamp,hexmessage,icao,typecode",
            f'{ts:.0f},"{EVEN}",40058B,11',
            f"{ts + 5:.3f} *{ODD};",
            f"{ts + 10:.0f} {EVEN}",
            f"{ts + 15:.0f},{ODD}",
            "# a comment",
            "*8D40;",  # a Mode A/C reply: skipped
            f"0 {EVEN}",
            f"{datetime(2100, 1, 1, tzinfo=UTC).timestamp():.0f} {ODD}",
        ]
    )
    path = tmp_path / "mixed.txt"
    path.write_text(text)
    rows, rejects = _read(ModesHex(), path, ReadOptions())
    assert [r["time"] for r in rows] == [T0 + timedelta(seconds=s) for s in (5, 10, 15)]
    assert [(r.record, r.reason) for r in rejects] == [
        (8, "time before 2000"),
        (9, "time in the future"),
    ]


def test_mlat_counter_lines(tmp_path: Path) -> None:
    ticks = 12_000_000  # the counter runs at 12 MHz
    counters = [5 * ticks, 10 * ticks, 15 * ticks, 1 * ticks]  # the last one went backwards
    frames = [EVEN, ODD, EVEN, ODD]
    path = tmp_path / "mlat.txt"
    path.write_text("".join(f"@{c:012X}{f};\n" for c, f in zip(counters, frames, strict=True)))
    path.write_text(path.read_text() + "@ZZZZZZZZZZZZ" + ODD + ";\n")
    rows, rejects = _read(ModesHex(), path, ReadOptions(reference_time=T0))
    # times: reference + ticks since the first counter; a restart continues from the last time
    assert [r["time"] for r in rows] == [T0 + timedelta(seconds=s) for s in (5, 10, 10)]
    assert [(r.record, r.reason) for r in rejects] == [
        (5, "timestamp counter is not 12 hex digits")
    ]
    # without a reference time the file's modification time is the base
    os.utime(path, (T0.timestamp() + 60, T0.timestamp() + 60))
    rows, _ = _read(ModesHex(), path, ReadOptions())
    assert rows[0]["time"] == T0 + timedelta(seconds=65)


def test_counter_clock_unwraps_48_bits() -> None:
    clock = CounterClock(1000.0)
    first = clock.times(np.array([COUNTER_WRAP - 12_000_000], dtype=np.int64))
    second = clock.times(np.array([12_000_000], dtype=np.int64))
    assert (first[0], second[0]) == (1000.0, 1002.0) and clock.resets == 0


def test_df18_sources_and_anonymous_addresses(tmp_path: Path) -> None:
    """DF18 control field (CF, first byte's low 3 bits) decides TIS-B, ADS-R or anonymous."""
    ts = T0.timestamp()
    me_even, me_odd = EVEN[8:22], ODD[8:22]
    lines = []
    for cf in (0, 1, 2, 3, 5, 6):  # CF 3, coarse TIS-B, has another layout: skipped
        for dt, me in ((0, me_even), (5, me_odd)):  # this pair is 5 s apart in its source
            lines.append(f"{ts + cf * 10 + dt:.0f},{squitter(0x90 | cf, '40058B' + me)}")
    bad = squitter(0x92, "40058B" + me_odd)
    lines.append(f"{ts + 99:.0f},{bad[:-1]}{'0' if bad[-1] != '0' else '1'}")
    path = tmp_path / "df18.csv"
    path.write_text("\n".join(lines))
    rows, rejects = _read(ModesHex(), path, ReadOptions())
    got = {(r["icao24"], r["pos_source"]) for r in rows}
    assert got == {
        ("40058b", "adsb"),  # CF 0: ADS-B from a non-transponder device
        ("~40058b", "adsb"),  # CF 1: ADS-B, non-ICAO address
        ("40058b", "tisb"),  # CF 2: fine TIS-B, IMF 0
        ("~40058b", "tisb"),  # CF 5: fine TIS-B, non-ICAO address
        ("40058b", "adsr"),  # CF 6: ADS-R rebroadcast
    }
    assert [(r.record, r.reason) for r in rejects] == [(13, "CRC check failed")]


def test_surface_positions_need_a_reference(tmp_path: Path) -> None:
    # mode-s.org "surface position" example: reference 51.990, 4.375 → 52.32061, 4.73473
    ts = T0.timestamp()
    path = tmp_path / "surface.txt"
    path.write_text(
        f"{ts:.0f} *8C4841753AAB238733C8CD4020B1;\n{ts + 2:.0f} *8C4841753A8A35323FAEBDAC702D;\n"
    )
    assert _read(ModesHex(), path, ReadOptions())[0] == []
    rows, _ = _read(ModesHex(), path, ReadOptions(reference=(51.990, 4.375)))
    assert rows and all(r["on_ground"] is True and r["alt_baro_ft"] is None for r in rows)
    assert rows[-1]["lat"] == pytest.approx(52.32061, abs=1e-3)
    assert rows[-1]["lon"] == pytest.approx(4.73473, abs=1e-3)
    assert rows[0]["gs_kt"] == 18 and rows[0]["track_deg"] == pytest.approx(140.625)


def test_truncated_gzip_hex(tmp_path: Path) -> None:
    ts = T0.timestamp()
    text = "".join(f"{ts + i:.0f},{EVEN if i % 2 else ODD}\n" for i in range(20_000))
    packed = gzip.compress(text.encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    rows, rejects = _read(ModesHex(), path, ReadOptions())
    assert 0 < len(rows) < 20_000
    assert any("gzip" in r.reason for r in rejects)


def test_hex_sniffing() -> None:
    assert ModesHex().sniff(RAW.read_bytes())
    assert ModesHex().sniff(shared(CSV_CAPTURE).read_bytes()[: 64 * 1024])
    assert not ModesHex().sniff(shared(BEAST_CAPTURE).read_bytes())
    assert not ModesHex().sniff((FIXTURES / "sbs" / "basestation_30003.txt").read_bytes())
    assert not ModesHex().sniff(shared("readsb/trace_full_ac671b.json").read_bytes()[:65536])
    assert not ModesHex().sniff(b"")


# --- Beast -----------------------------------------------------------------------------------


def simple_beast_count(data: bytes) -> tuple[int, list[str]]:
    """Walk the capture frame by frame: 0x1a, type, then 2/7/14/14 message bytes after 7."""
    sizes = {0x31: 2, 0x32: 7, 0x33: 14, 0x34: 14}
    i, count, frames = 0, 0, []
    while i < len(data):
        assert data[i] == 0x1A
        kind, need, body = data[i + 1], 7 + sizes[data[i + 1]], bytearray()
        i += 2
        while len(body) < need:
            body.append(data[i])
            i += 2 if data[i] == 0x1A else 1
        count += 1
        if kind in (0x32, 0x33):
            frames.append(bytes(body[7:]).hex())
    return count, frames


def test_real_beast_capture(store: Store) -> None:
    path = shared(BEAST_CAPTURE)
    data = path.read_bytes()
    count, frames = simple_beast_count(data)
    parsed, garbage = parse_beast(data)
    assert len(parsed) == count and garbage == []
    assert [f.message.hex() for f in parsed if f.kind in b"23"] == frames
    assert detect_format(Blob(path)).name == "beast"
    options = ReadOptions(reference=LFBO, reference_time=BEAST_TIME)
    rows, rejects = _read(Beast(), path, options)
    assert rejects == []
    airborne = [f for f in frames if int(f[:2], 16) >> 3 == 17 and 9 <= typecode(f) <= 18]
    assert 0 < len(rows) <= len(airborne)
    for row in rows:
        assert distance_km(row["lat"], row["lon"], *LFBO) < 400  # type: ignore[arg-type]
        assert abs(row["time"] - BEAST_TIME) < timedelta(minutes=5)  # type: ignore[operator]
        assert row["pos_source"] == "adsb"
    # the counter says how far into the capture each position is
    first = parsed[0].counter
    by_record = dict(enumerate(parsed, 1))
    for row in rows:
        frame = by_record[int(row["record"])]  # type: ignore[call-overload]
        offset_s = (frame.counter - first) / 12e6
        assert row["time"].timestamp() == pytest.approx(BEAST_TIME.timestamp() + offset_s, abs=1e-5)  # type: ignore[union-attr]
        assert row["alt_baro_ft"] == airborne_altitude(frame.message.hex())
    [result] = store.ingest([str(path)], options=options)
    assert result.accepted + result.duplicates == len(rows) and result.rejected == 0


def test_beast_blocks_keep_state(monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared(BEAST_CAPTURE)
    options = ReadOptions(reference=LFBO, reference_time=BEAST_TIME)
    whole, _ = _read(Beast(), path, options)
    monkeypatch.setattr(lines_module, "BLOCK_BYTES", 97)
    monkeypatch.setattr(lines_module, "BATCH_LINES", 10)
    chunked, rejects = _read(Beast(), path, options)
    assert chunked == whole and rejects == []


def test_beast_sniffing() -> None:
    data = shared(BEAST_CAPTURE).read_bytes()
    assert Beast().sniff(data)
    assert not Beast().sniff(b"\x1a9" + data[2:])
    assert not Beast().sniff(data[1:])
    assert not Beast().sniff(RAW.read_bytes())
    assert not Sbs().sniff(data)
    assert not Beast().sniff(shared(CSV_CAPTURE).read_bytes()[:65536])


def write_beast(frames: list[tuple[int, int, int, bytes]]) -> bytes:
    """As dump1090's writeBeastMessage: 0x1a, type, counter, signal, message; 0x1a doubled."""
    out = bytearray()
    for kind, counter, signal, message in frames:
        body = counter.to_bytes(6, "big") + bytes([signal]) + message
        out += bytes([0x1A, kind]) + body.replace(b"\x1a", b"\x1a\x1a")
    return bytes(out)


_frame = st.sampled_from([(0x31, 2), (0x32, 7), (0x33, 14), (0x34, 14)]).flatmap(
    lambda kl: st.tuples(
        st.just(kl[0]),
        st.one_of(st.integers(0, COUNTER_WRAP - 1), st.just(0x1A1A1A1A1A1A)),
        st.one_of(st.integers(0, 255), st.just(0x1A)),
        st.binary(min_size=kl[1], max_size=kl[1]),
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_frame, max_size=30), st.lists(st.integers(1, 50), max_size=10))
def test_beast_framing_round_trip(
    frames: list[tuple[int, int, int, bytes]], cuts: list[int]
) -> None:
    data = write_beast(frames)
    parsed, garbage = parse_beast(data)
    assert garbage == []
    assert [(f.kind, f.counter, f.signal, f.message) for f in parsed] == frames
    # fed in arbitrary pieces, the splitter finds the same frames at the same offsets
    splitter, got, at = BeastSplitter(), [], 0
    for size in cuts:
        got += splitter.feed(data[at : at + size])[0]
        at += size
    got += splitter.feed(data[at:], final=True)[0]
    assert got == parsed


def test_beast_garbage_is_skipped_and_rejected(tmp_path: Path) -> None:
    good = bytes.fromhex(ODD)
    one = write_beast([(0x33, 12_000_000, 40, bytes.fromhex(EVEN))])
    two = write_beast([(0x33, 24_000_000, 40, good)])
    junk = b"\x00junk\x1a\x1a\xff"
    path = tmp_path / "noisy.bin"
    path.write_bytes(one + junk + two + b"\x1a3\x00")
    frames, garbage = parse_beast(path.read_bytes())
    assert [f.counter for f in frames] == [12_000_000, 24_000_000]
    assert garbage == [(len(one), junk), (len(one) + len(junk) + len(two), b"\x1a3\x00")]
    rows, rejects = _read(Beast(), path, ReadOptions(reference_time=T0))
    assert [r["record"] for r in rows] == [2]
    assert rows[0]["time"] == T0 + timedelta(seconds=1)
    assert [r.offset for r in rejects] == [len(one), len(one) + len(junk) + len(two)]
    assert all("not a Beast frame" in r.reason for r in rejects)


def test_beast_counter_reset_and_stdin_time(tmp_path: Path) -> None:
    frames = [
        (0x33, 10 * 12_000_000, 9, bytes.fromhex(EVEN)),
        (0x31, 0, 0, b"\x00\x00"),  # a Mode A/C frame (dump1090's heartbeat): no position
        (0x33, 2 * 12_000_000, 9, bytes.fromhex(ODD)),  # the receiver restarted
    ]
    data = write_beast(frames)
    rows, rejects = _read(Beast(), "-", ReadOptions(reference_time=T0), data)
    assert rejects == []
    assert [(r["record"], r["time"]) for r in rows] == [(3, T0)]
    now = datetime(2024, 1, 1, tzinfo=UTC)
    rows, _ = _read(Beast(), "-", ReadOptions(now=now + timedelta(days=1)), data)
    assert rows[0]["time"] == now + timedelta(days=1)  # stdin without a reference: now


def test_beast_truncated_gzip(tmp_path: Path) -> None:
    frames = [
        (0x33, i * 1_200_000, 9, bytes.fromhex(EVEN if i % 2 else ODD)) for i in range(20_000)
    ]
    packed = gzip.compress(write_beast(frames))
    path = tmp_path / "cut.bin.gz"
    path.write_bytes(packed[: len(packed) // 2])
    rows, rejects = _read(Beast(), path, ReadOptions(reference_time=T0))
    assert 0 < len(rows) < 20_000
    assert any("gzip" in r.reason for r in rejects)


def test_beast_frame_is_a_named_tuple() -> None:
    frame = BeastFrame(0, 0x33, 1, 2, b"\x00" * 14)
    assert frame.counter == 1 and frame.signal == 2
