"""Loosely typed columns (CSV text, JSON values) made typed Arrow arrays, and CSV in line batches.

Values that cannot be parsed are flagged per row, so adapters turn them into rejects with reasons.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from basewatch.sources.base import GZIP_ERRORS, Blob, Reject

#: Lines per CSV batch: one Chunk each, so memory stays bounded on large files.
BATCH_LINES = 100_000
#: Texts read as "no value" (compared lower-cased): empty, and what exporters write for nulls.
NULL_TEXTS = pa.array(["", "null", "nan", "none", "na", "n/a"])
NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
TRUE_TEXTS = pa.array(["true", "t", "1", "yes", "y"])
FALSE_TEXTS = pa.array(["false", "f", "0", "no", "n"])


def _false(n: int) -> pa.Array:
    return pa.repeat(False, n)


def _text(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Trimmed text and a mask of rows holding a null or a null-like text."""
    s = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    empty = pc.fill_null(pc.is_in(pc.utf8_lower(s), value_set=NULL_TEXTS), True)
    return s, empty


def as_string(arr: pa.Array) -> pa.Array:
    """Strings with null-like texts as null (numbers become their decimal text)."""
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    s, empty = _text(arr)
    return pc.if_else(empty, pa.scalar(None, pa.string()), s)


def as_float(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """float64 values and a mask of rows whose value is present but not a number."""
    n, typ = len(arr), arr.type
    if pa.types.is_null(typ):
        return pa.nulls(n, pa.float64()), _false(n)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return arr.cast(pa.float64()), _false(n)
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        return pa.nulls(n, pa.float64()), pc.is_valid(arr)
    s, empty = _text(arr)
    ok = pc.fill_null(pc.match_substring_regex(s, NUMBER), False)
    values = pc.if_else(pc.and_(ok, pc.invert(empty)), s, pa.scalar(None, pa.string()))
    return values.cast(pa.float64()), pc.and_(pc.invert(empty), pc.invert(ok))


def as_bool(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Booleans from bools, 0/1 or true/false texts; a mask of rows that are none of those."""
    n, typ = len(arr), arr.type
    if pa.types.is_boolean(typ):
        return arr, _false(n)
    if pa.types.is_null(typ):
        return pa.nulls(n, pa.bool_()), _false(n)
    if pa.types.is_integer(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ):
        s, empty = _text(arr)
        lower = pc.utf8_lower(s)
        yes = pc.fill_null(pc.is_in(lower, value_set=TRUE_TEXTS), False)
        no = pc.fill_null(pc.is_in(lower, value_set=FALSE_TEXTS), False)
        values = pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
        return values, pc.and_(pc.invert(empty), pc.invert(pc.or_(yes, no)))
    return pa.nulls(n, pa.bool_()), pc.is_valid(arr)


def as_epoch(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Epoch seconds from numbers, numeric or ISO 8601 texts, or Arrow timestamps (naive = UTC)."""
    typ = arr.type
    if pa.types.is_timestamp(typ):
        micros = arr.cast(pa.timestamp("us", tz=typ.tz)).cast(pa.int64())
        return pc.divide(micros.cast(pa.float64()), 1e6), _false(len(arr))
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        return as_float(arr)
    numbers, not_number = as_float(arr)
    if not pc.any(not_number).as_py():
        return numbers, not_number
    s = pc.if_else(not_number, pc.utf8_trim_whitespace(arr.cast(pa.string())), None)
    iso, bad = _iso_seconds(s)
    return pc.coalesce(numbers, iso), bad


def _iso_seconds(s: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Seconds of ISO 8601 texts: vectorised when all share a zone style, else one by one."""
    for typ in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            micros = s.cast(typ).cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return pc.divide(micros.cast(pa.float64()), 1e6), _false(len(s))
    values: list[float | None] = []
    bad: list[bool] = []
    for text in s.to_pylist():
        seconds = _iso_one(text) if text is not None else None
        values.append(seconds)
        bad.append(text is not None and seconds is None)
    return pa.array(values, pa.float64()), pa.array(bad, pa.bool_())


def _iso_one(text: str) -> float | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def py_array(values: Sequence[Any]) -> pa.Array:
    """An Arrow array of JSON-like values; mixed types become text so parsers can flag them."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


class RowProblems:
    """The first reason each row is unusable (null = fine), gathered column by column."""

    def __init__(self, n: int) -> None:
        self.reasons: pa.Array = pa.nulls(n, pa.string())

    def add(self, mask: pa.Array, text: str) -> None:
        """Give rows in ``mask`` the reason ``text`` unless they already have one."""
        mask = pc.fill_null(mask, False)
        self.reasons = pc.if_else(pc.and_(mask, pc.is_null(self.reasons)), text, self.reasons)

    @property
    def ok(self) -> pa.Array:
        """Mask of rows without a problem."""
        return pc.is_null(self.reasons)

    def rejects(self, records: pa.Array, raw: pa.Table | Sequence[Any]) -> list[Reject]:
        """One Reject per problem row; ``raw`` holds the rows as read (table or list)."""
        idx = pc.indices_nonzero(pc.is_valid(self.reasons)).to_pylist()
        out: list[Reject] = []
        for i in idx:
            row = raw.slice(i, 1).to_pylist()[0] if isinstance(raw, pa.Table) else raw[i]
            out.append(Reject(self.reasons[i].as_py(), record=records[i].as_py(), raw=_cut(row)))
        return out


def _cut(row: Any) -> str:
    return repr(row)[:300]


@dataclass
class CsvBatch:
    """Rows of a CSV file as string columns, the line number of each row, and bad lines."""

    table: pa.Table
    lines: pa.Array
    rejects: list[Reject] = field(default_factory=list)


def header_names(head: bytes) -> list[str]:
    """The column names of a CSV header line (BOM and quotes removed)."""
    first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    try:
        row = next(csv.reader([first.decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error):
        return []
    return [name.strip() for name in row]


def csv_batches(
    blob: Blob, required: Sequence[str], batch_lines: int = BATCH_LINES
) -> Iterator[CsvBatch]:
    """Stream a headed CSV as string columns in batches of lines; never raises on bad input."""
    empty = CsvBatch(pa.table({}), pa.array([], pa.int64()))
    try:
        with blob.open() as fh:
            names = header_names(fh.readline())
            missing = [c for c in required if c not in names]
            if missing or len(set(names)) != len(names):
                why = f"CSV header lacks {missing}" if missing else "CSV header repeats a name"
                yield CsvBatch(empty.table, empty.lines, [Reject(why, 1)])
                return
            line_no = 1
            while True:
                lines, broken = _read_lines(fh, batch_lines)
                if lines:
                    yield _parse_lines(names, lines, line_no + 1)
                line_no += len(lines)
                if broken is not None:
                    yield CsvBatch(empty.table, empty.lines, [broken])
                if broken is not None or len(lines) < batch_lines:
                    return
    except GZIP_ERRORS as exc:
        yield CsvBatch(empty.table, empty.lines, [Reject(f"corrupt or truncated gzip: {exc}")])


def _read_lines(fh: IO[bytes], n: int) -> tuple[list[bytes], Reject | None]:
    lines: list[bytes] = []
    try:
        for _ in range(n):
            line = fh.readline()
            if not line:
                break
            lines.append(line)
    except GZIP_ERRORS as exc:
        return lines, Reject(f"corrupt or truncated gzip: {exc}")
    return lines, None


def _parse_lines(names: list[str], lines: list[bytes], first: int) -> CsvBatch:
    """Parse lines with pyarrow; when its rows cannot be matched to lines, one line at a time."""
    numbered = [(first + i, ln) for i, ln in enumerate(lines) if ln.strip()]
    data = b"".join(ln if ln.endswith(b"\n") else ln + b"\n" for _, ln in numbered)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _line_by_line(names, numbered)
    table, invalid = _arrow_csv(names, data)
    batch = _number_rows(names, numbered, table, invalid) if table is not None else None
    return batch if batch is not None else _line_by_line(names, numbered)


def _number_rows(
    names: list[str], numbered: list[tuple[int, bytes]], table: pa.Table, invalid: list[str]
) -> CsvBatch | None:
    """Line numbers of pyarrow's rows (skipped rows found by their text), or None if unsure."""
    skipped: list[int] = []
    cursor = 0
    for text in invalid:
        while cursor < len(numbered):
            number, line = numbered[cursor]
            cursor += 1
            if line.rstrip(b"\r\n").decode("utf-8", "replace") == text:
                skipped.append(number)
                break
    if len(skipped) != len(invalid) or table.num_rows != len(numbered) - len(skipped):
        return None
    why = f"expected {len(names)} CSV fields"
    rejects = [Reject(why, n, raw=_cut(t)) for n, t in zip(skipped, invalid, strict=True)]
    gone = set(skipped)
    kept = [number for number, _ in numbered if number not in gone]
    return CsvBatch(table, pa.array(kept, pa.int64()), rejects)


def _line_by_line(names: list[str], numbered: list[tuple[int, bytes]]) -> CsvBatch:
    """Each line parsed on its own (quotes never span lines): the slow, sure path."""
    rows: list[list[str]] = []
    kept: list[int] = []
    rejects: list[Reject] = []
    for number, line in numbered:
        try:
            row = next(csv.reader([line.rstrip(b"\r\n").decode("utf-8")]), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            rejects.append(Reject(f"unreadable CSV line: {exc}", number, raw=_cut(line)))
            continue
        if len(row) != len(names):
            rejects.append(Reject(f"expected {len(names)} CSV fields", number, raw=_cut(line)))
            continue
        rows.append(row)
        kept.append(number)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)})
    return CsvBatch(table, pa.array(kept, pa.int64()), rejects)


def _arrow_csv(names: list[str], data: bytes) -> tuple[pa.Table | None, list[str]]:
    invalid: list[str] = []

    def handler(row: Any) -> str:
        invalid.append(row.text)
        return "skip"

    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(
                column_names=names, use_threads=False, block_size=max(len(data), 1 << 20)
            ),
            parse_options=pcsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None, []
    return table, invalid
