"""The evidence report of ``basewatch report`` downloaded from a base page: the very bytes
``render`` writes (HTML, JSON; Markdown as a zip with its two SVGs). Written to a private
temporary folder under a name of our making — the base name is looked up, never a path."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import Response

from basewatch.report import ReportBuilder, render
from basewatch.store import Store
from basewatch.web.context import Context

MEDIA = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "md": "application/zip",
}
#: The report's HTML is self-contained with inline CSS and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
#: Zip entries get this time so the same report gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def report_bytes(
    ctx: Context,
    store: Store,
    name: str,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
) -> tuple[bytes, str]:
    """The report file's bytes and its download name."""
    base = ctx.base(name)
    notes, missing = ctx.status(store)
    if missing:
        raise HTTPException(409, " ".join(notes))
    report = ReportBuilder(base, ctx.config, since, until, save=False).build(store)
    stem = "report_" + re.sub(r"[^A-Za-z0-9_-]", "_", base.name)
    with tempfile.TemporaryDirectory(prefix="basewatch-report-") as tmp:
        written = render(report, fmt, Path(tmp) / f"{stem}.{fmt}")
        if fmt != "md":
            return written[0].read_bytes(), f"{stem}.{fmt}"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                info = zipfile.ZipInfo(path.name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        return buffer.getvalue(), f"{stem}.zip"


def report_response(content: bytes, filename: str, fmt: str) -> Response:
    """An attachment; the HTML keeps its inline style under a policy allowing nothing else."""
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    if fmt == "html":
        headers["content-security-policy"] = REPORT_CSP
    return Response(content, media_type=MEDIA[fmt], headers=headers)
