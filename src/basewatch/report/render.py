"""Write a report: Markdown (with its map and timeline as sibling SVG files), one self-contained
HTML file, or JSON. Same report, same bytes: UTF-8, ``\\n`` line ends, nothing time-stamped."""

from __future__ import annotations

import json
from pathlib import Path

from basewatch.errors import BasewatchError, UsageError
from basewatch.report.facts import Report, report_document
from basewatch.report.render_html import render_html
from basewatch.report.render_md import render_markdown
from basewatch.report.svgmap import map_svg
from basewatch.report.timeline import timeline_svg

REPORT_FORMATS = ("md", "html", "json")


def check_format(fmt: str) -> str:
    """The format if known, else a usage error naming the choices."""
    if fmt not in REPORT_FORMATS:
        raise UsageError(
            f"unknown report format {fmt!r}; choose one of: {', '.join(REPORT_FORMATS)}"
        )
    return fmt


def image_paths(out: Path) -> tuple[Path, Path]:
    """``x/report.md`` → ``x/report_map.svg``, ``x/report_timeline.svg``."""
    return out.with_name(f"{out.stem}_map.svg"), out.with_name(f"{out.stem}_timeline.svg")


def report_json(report: Report) -> str:
    """The JSON document, keys in a fixed order, two-space indented."""
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"


def render(report: Report, fmt: str, out: Path) -> list[Path]:
    """Write ``report`` as ``fmt`` to ``out`` (and, for Markdown, its two images beside it);
    returns the paths written."""
    check_format(fmt)
    out = Path(out)
    if fmt == "md":
        map_path, timeline_path = image_paths(out)
        files = {
            out: render_markdown(report, map_path.name, timeline_path.name),
            map_path: map_svg(report),
            timeline_path: timeline_svg(report),
        }
    elif fmt == "html":
        files = {out: render_html(report)}
    else:
        files = {out: report_json(report)}
    for path, content in files.items():
        _write(path, content)
    return list(files)


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BasewatchError(
            f"cannot write the report to {path}: {reason}; choose a writable --out path"
        ) from exc
