"""SBS and Beast streams against real TCP replay servers: framing, drops mid-message, reconnects,
state carried from one poll to the next, and the stream stored as its file would be."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch import ReadOptions, Store
from basewatch.config import Config, parse_config
from basewatch.retry import Backoff
from basewatch.sources import Blob
from basewatch.sources.feeds import FeedSet, StreamFeed, build_feeds
from basewatch.sources.feeds.framing import BeastFramer, LineFramer
from basewatch.sources.feeds.stream_sources import BeastStream
from basewatch.sources.feeds.streams import (
    StreamReader,
    StreamSettings,
    StreamSocket,
    tcp_connect,
)
from basewatch.sources.modes import Beast, parse_beast
from basewatch.sources.sbs import Sbs
from tests import feedserver
from tests.conftest import FIXTURES, positions, shared
from tests.feedserver import MakeTcpReplay, Session, TcpReplay, beast_frames

tcp_replay = feedserver.tcp_replay

SBS = FIXTURES / "sbs" / "basestation_30003.txt"
T0 = datetime(2025, 10, 24, 9, 40, tzinfo=UTC)
WAIT_S = 10.0
#: Frames of tests/data/modes (see its PROVENANCE): identification, velocity, the even and odd
#: airborne positions of 40058B; decoded locally against (49.0, 6.0) they lie 90 km away.
MODES = [bytes.fromhex(h) for h in (
    "8D40058B2015A678D4D220F7EBF1", "8D40058B99440994083817E64D37",
    "8D40058B58C901375147EFD09357", "8D40058B58C904A87F402D3B8C59",
)]  # fmt: skip
NEAR = (49.0, 6.0)
#: Reconnect at once in tests (full jitter below 50 ms).
QUICK = Backoff(base_s=0.01, cap_s=0.05)


def stream_config(kind: str, server: TcpReplay, extra: str = "") -> Config:
    item = f"{{kind: {kind}, url: '{server.url}', reconnect_s: 0.01{extra}}}"
    return parse_config(f"feeds:\n  - {item}\n", "<test>")


def stream_feed(cfg: Config) -> StreamFeed:
    [feed] = build_feeds(cfg, {})
    assert isinstance(feed, StreamFeed)
    return feed


def stored(store: Store) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "ingest_id"} for row in positions(store)]


def read_alone(data: bytes, source: Sbs | Beast, options: ReadOptions) -> list[dict[str, object]]:
    """What ingesting ``data`` as one file stores."""
    with Store.open(":memory:") as other:
        other.ingest([(Blob("whole", data), source)], options=options)
        return stored(other)


def buffered(n: int, connections: int = 1) -> Callable[[StreamReader], bool]:
    """At least ``n`` messages buffered, over at least ``connections`` connections."""
    return lambda r: len(r.buffer) >= n and r.connections >= connections


# --- SBS ----------------------------------------------------------------------------------------


def sbs_lines() -> list[bytes]:
    return SBS.read_bytes().splitlines(keepends=True)


def test_sbs_stream_stores_what_the_file_stores(tcp_replay: MakeTcpReplay, store: Store) -> None:
    server = tcp_replay([Session([SBS.read_bytes()], drop=False)])
    feed = stream_feed(stream_config("sbs", server))
    assert feed.name == f"sbs:127.0.0.1:{server.port}"
    assert feed.due(T0)  # starts the reader
    lines = [line for line in sbs_lines() if line.strip()]  # the heartbeat blank line is dropped
    assert feed.reader.wait_for(buffered(len(lines)), WAIT_S)
    [(blob, source)] = feed.poll(T0)
    assert blob.path == f"feed:sbs:127.0.0.1:{server.port}@2025-10-24T09:40:00Z"
    assert blob.open().read() == b"".join(lines)
    [result] = store.ingest([(blob, source)])
    assert result.format == "sbs"
    assert stored(store) == read_alone(SBS.read_bytes(), Sbs(), ReadOptions())
    assert result.rejected == 5  # the five bad lines of the fixture (see its PROVENANCE)
    assert feed.status.up and feed.status.last_ok == T0 and feed.status.malformed == 0
    assert feed.poll(T0 + timedelta(seconds=5)) == []  # nothing new
    feed.close()
    assert not feed.reader.alive


def test_sbs_values_carry_from_one_poll_to_the_next(
    tcp_replay: MakeTcpReplay, store: Store
) -> None:
    lines = sbs_lines()
    # the callsign (MSG,1) and speed (MSG,4) of 4CA2D4 arrive before the first poll, its
    # position (MSG,3, line 8) after it
    first, second = b"".join(lines[:7]), b"".join(lines[7:])
    server = tcp_replay([Session([first, second], drop=False)])
    feed = stream_feed(stream_config("sbs", server))
    feed.due(T0)
    assert feed.reader.wait_for(buffered(7), WAIT_S)
    work = feed.poll(T0)
    server.release()
    assert feed.reader.wait_for(buffered(len([x for x in lines[7:] if x.strip()])), WAIT_S)
    work += feed.poll(T0 + timedelta(seconds=5))
    assert len(work) == 2
    store.ingest(work)
    rows = stored(store)
    assert rows == read_alone(SBS.read_bytes(), Sbs(), ReadOptions())
    first_fix = next(r for r in rows if r["icao24"] == "4ca2d4")
    assert (first_fix["callsign"], first_fix["gs_kt"]) == ("RYR4LC", 452.0)
    feed.close()


def test_sbs_stream_dropped_mid_line_then_reconnected(
    tcp_replay: MakeTcpReplay, store: Store
) -> None:
    lines = sbs_lines()
    cut = lines[9][:25]  # line 10 (a position of 4CA2D4) is cut by the drop
    server = tcp_replay(
        [Session([b"".join(lines[:9]) + cut]), Session([b"".join(lines[9:])], drop=False)]
    )
    feed = stream_feed(stream_config("sbs", server))
    feeds = FeedSet([feed])
    feed.due(T0)
    whole = len([line for line in lines if line.strip()])
    assert feed.reader.wait_for(buffered(whole, connections=2), WAIT_S)
    assert feed.status.malformed == 1 and feed.status.errors == 1
    assert "closed by the receiver" in (feed.status.last_error or "")
    assert feed.status.up and feeds.down_for(T0) == {}
    [(_, blob, source)] = feeds.poll_due(T0)
    # every whole line once, the cut piece nowhere (line 10 arrives whole on the new connection)
    assert blob.open().read() == b"".join(line for line in lines if line.strip())
    store.ingest([(blob, source)])
    assert stored(store) == read_alone(SBS.read_bytes(), Sbs(), ReadOptions())
    feeds.close()


def test_receiver_away_is_down_then_connects(tcp_replay: MakeTcpReplay) -> None:
    server = tcp_replay([Session([SBS.read_bytes()], drop=False)])
    attempts: list[tuple[str, int]] = []

    def connect(host: str, port: int, timeout_s: float) -> StreamSocket:
        attempts.append((host, port))
        if len(attempts) < 3:
            raise ConnectionRefusedError(111, "Connection refused")
        return tcp_connect(host, port, timeout_s)

    quick = StreamSettings(backoff=QUICK)
    feed = StreamFeed("sbs:test", "sbs", server.address, 5.0, quick, connect, clock=lambda: T0)
    feeds = FeedSet([feed])
    feed.reader.start()
    assert feed.reader.wait_for(lambda r: r.connections == 1 and len(r.buffer) > 0, WAIT_S)
    assert attempts == [server.address] * 3
    assert feed.status.errors == 2 and feed.status.up and feed.status.failures == 0
    refused = f"cannot connect to 127.0.0.1:{server.port}: Connection refused"
    assert feed.status.last_error == refused
    feeds.close()


def test_down_for_counts_from_the_first_failed_connection() -> None:
    def refuse(host: str, port: int, timeout_s: float) -> StreamSocket:
        raise ConnectionRefusedError(111, "Connection refused")

    quick = StreamSettings(backoff=QUICK)
    feed = StreamFeed("beast:away", "beast", ("127.0.0.1", 9), 5.0, quick, refuse, clock=lambda: T0)
    feeds = FeedSet([feed])
    assert feed.due(T0)
    assert feed.reader.wait_for(lambda r: r.status.errors >= 2, WAIT_S)
    assert feeds.down_for(T0 + timedelta(minutes=10)) == {"beast:away": 600.0}
    assert feeds.poll_due(T0) == []  # nothing buffered, no exception
    feeds.close()
    assert not feed.reader.alive


# --- Beast --------------------------------------------------------------------------------------


def test_real_beast_capture_in_two_polls_reads_as_one(
    tcp_replay: MakeTcpReplay, store: Store
) -> None:
    data = shared("beast/sample_dump1090.bin").read_bytes()
    frames, _ = parse_beast(data)
    n = 55  # the split falls between two airborne positions of 48520a (frames 51 and 61)
    half = frames[n].offset
    server = tcp_replay([Session([data[:half], data[half:]], drop=False)])
    feed = stream_feed(stream_config("beast", server, ", point: LFBO"))
    feed.due(T0)
    assert feed.reader.wait_for(buffered(n), WAIT_S)
    work = feed.poll(T0)
    server.release()
    assert feed.reader.wait_for(buffered(len(frames) - n), WAIT_S)
    work += feed.poll(T0 + timedelta(seconds=5))
    [source] = {id(s): s for _, s in work}.values()  # one connection, one clock
    assert isinstance(source, BeastStream) and source.name == "beast"
    assert b"".join(b.open().read() for b, _ in work) == data
    results = store.ingest(work)
    assert [r.format for r in results] == ["beast", "beast"]
    assert all(r.accepted >= 1 for r in results)  # positions on both sides of the split
    options = ReadOptions(reference=source.reference, reference_time=source.base_time)
    assert source.reference == pytest.approx((43.6291, 1.36382))  # LFBO in airportsdata
    expected = read_alone(data, Beast(), options)
    assert stored(store) == expected
    span = timedelta(seconds=(frames[-1].counter - frames[0].counter) / 12e6)
    for row in expected:  # the stream's clock: the first frame's arrival plus counter ticks
        time = row["time"]
        assert isinstance(time, datetime) and source.base_time <= time <= source.base_time + span
    feed.close()


def test_beast_stream_dropped_mid_frame_then_reconnected(
    tcp_replay: MakeTcpReplay, store: Store
) -> None:
    base = 0x1A_0000_0000  # counters holding 0x1a bytes: escaped on the wire
    one = [(0x33, base + i * 12_000_000, 0x1A, m) for i, m in enumerate(MODES)]
    two = [(0x33, base + (9 + i) * 12_000_000, 40, m) for i, m in enumerate(MODES[2:])]
    first, cut = beast_frames(one), beast_frames(two[:1])[:9]
    server = tcp_replay([Session([first + cut]), Session([beast_frames(two)], drop=False)])
    cfg = stream_config("beast", server, ", lat: 49.0, lon: 6.0")
    feed = stream_feed(cfg)
    feed.due(T0)
    assert feed.reader.wait_for(buffered(len(one) + len(two), connections=2), WAIT_S)
    assert feed.status.malformed == 1  # the frame cut by the drop
    work = feed.poll(T0)
    assert [b.open().read() for b, _ in work] == [first, beast_frames(two)]
    sources = [s for _, s in work]
    assert all(isinstance(s, BeastStream) for s in sources) and sources[0] is not sources[1]
    results = store.ingest(work)
    assert sum(r.rejected for r in results) == 0  # no partial frame reached the adapter
    expected = []
    for blob, source in work:
        assert isinstance(source, BeastStream)
        options = ReadOptions(reference=NEAR, reference_time=source.base_time)
        expected += read_alone(blob.open().read(), Beast(), options)
    rows = stored(store)
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert {r["icao24"] for r in rows} == {"40058b"} and len(rows) >= 2
    feed.close()


# --- framing ------------------------------------------------------------------------------------


_frame = st.sampled_from([(0x31, 2), (0x32, 7), (0x33, 14), (0x34, 14)]).flatmap(
    lambda kl: st.tuples(
        st.just(kl[0]),
        st.one_of(st.integers(0, (1 << 48) - 1), st.just(0x1A1A1A1A1A1A)),
        st.one_of(st.integers(0, 255), st.just(0x1A)),
        st.binary(min_size=kl[1], max_size=kl[1]),
    )
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_frame, min_size=1, max_size=20), st.lists(st.integers(1, 40), max_size=12), st.data()
)
def test_beast_framer_finds_every_frame_across_any_split(
    frames: list[tuple[int, int, int, bytes]], cuts: list[int], data: st.DataObject
) -> None:
    wire = [beast_frames([f]) for f in frames]
    stream = b"".join(wire)
    framer, got, bad, pos = BeastFramer(), list[bytes](), 0, 0
    for size in [*cuts, len(stream)]:
        more, broken = framer.feed(stream[pos : pos + size])
        got, bad, pos = got + more, bad + broken, pos + size
    assert got == wire and bad == 0 and framer.cut() == 0
    # a drop inside the last frame: the whole ones arrive, the cut one is counted, not kept
    keep = data.draw(st.integers(1, len(wire[-1]) - 1))
    framer = BeastFramer()
    more, _ = framer.feed(b"".join(wire[:-1]) + wire[-1][:keep])
    assert more == wire[:-1] and framer.cut() == 1


def test_beast_framer_skips_unknown_types_and_counts_broken_frames() -> None:
    good = beast_frames([(0x32, 5, 7, bytes(7))])
    broken = good[:6]  # a frame cut short, then a new frame starts: corruption
    framer = BeastFramer()
    frames, bad = framer.feed(b"\x00\x01" + b"\x1a\xe3" + bytes(8) + broken + good)
    assert frames == [good] and bad == 1


def test_line_framer_keeps_line_ends_and_drops_heartbeats() -> None:
    framer = LineFramer(max_line=40)
    assert framer.feed(b"MSG,1,a\r\n\r\nMSG,") == ([b"MSG,1,a\r\n"], 0)
    assert framer.feed(b"3,b\n" + b"x" * 50) == ([b"MSG,3,b\n"], 1)  # overlong garbage
    assert framer.feed(b"MSG,4") == ([], 0) and framer.cut() == 1 and framer.cut() == 0


def test_reader_buffer_is_bounded(tcp_replay: MakeTcpReplay) -> None:
    lines = [line for line in sbs_lines() if line.strip()]
    server = tcp_replay([Session([b"".join(lines)], drop=False)])
    status = StreamFeed("x", "sbs", server.address).status
    reader = StreamReader("x", "sbs", server.address, status, StreamSettings(max_buffer=10))
    reader.start()
    assert reader.wait_for(lambda r: r.status.dropped == len(lines) - 10, WAIT_S)
    assert [m.data for m in reader.take()] == lines[-10:]
    reader.stop()


def test_stream_sources_sniff_like_the_file_adapters() -> None:
    assert BeastStream(T0).sniff(beast_frames([(0x33, 1, 2, MODES[0])]))
    assert not BeastStream(T0).sniff(SBS.read_bytes())
