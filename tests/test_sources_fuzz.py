"""Random bytes and mutated real files never raise anything but basewatch's own errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import BasewatchError, Store
from basewatch.sources import SOURCES, Blob, ReadOptions, Source, detect_format
from tests.conftest import sample_files

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


SAMPLES = sample_files(max_bytes=600_000)


def _read_everything(source: Source, data: bytes) -> int:
    rows = 0
    for chunk in source.read(Blob("fuzz", data), ReadOptions(reference=(43.6, 1.4))):
        rows += chunk.table.num_rows
    return rows


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(source: Source, data: bytes) -> None:
    try:
        source.sniff(data)
        _read_everything(source, data)
    except BasewatchError:
        pass


def _mutate(raw: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(raw)
    for where, length, junk in cuts:
        if not out:
            break
        at = where % len(out)
        out[at : at + length] = junk
    return bytes(out)


@pytest.mark.skipif(not SAMPLES, reason="no sample files present")
@FUZZ
@given(
    index=st.integers(min_value=0),
    cuts=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 64), st.binary(max_size=16)),
        min_size=1,
        max_size=4,
    ),
    truncate=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
)
def test_mutated_real_files(
    index: int, cuts: list[tuple[int, int, bytes]], truncate: float | None
) -> None:
    raw = SAMPLES[index % len(SAMPLES)].read_bytes()
    data = _mutate(raw, cuts)
    if truncate is not None:
        data = data[: int(len(data) * truncate)]
    try:
        source = detect_format(Blob("mutated", data))
    except BasewatchError:
        return
    try:
        with Store.open(":memory:") as store:
            [result] = store.ingest([(Blob("mutated", data), source)], workers=1)
            stored = store.con.execute("SELECT count(*) FROM positions").fetchone()
            assert stored is not None
            assert stored[0] == result.accepted
            rejects = store.con.execute("SELECT count(*) FROM rejects").fetchone()
            assert rejects is not None
            assert rejects[0] == result.rejected
    except BasewatchError:
        pass
