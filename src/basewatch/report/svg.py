"""Small helpers shared by the map and the timeline: fixed number formatting, escaping, path
data thinned to the pixel, and the ``<svg>`` element (namespaced when it stands alone)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np

from basewatch.report.clip import Floats

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "font-family:DejaVu Sans,Helvetica,Arial,sans-serif"


def num(value: float) -> str:
    """One decimal, never ``-0.0``: the same drawing gives the same text."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def text(value: str) -> str:
    """Escaped element content."""
    return escape(value)


def attr(value: str) -> str:
    """A quoted, escaped attribute value."""
    return quoteattr(value)


def thin(points: Floats, step: float = 1.0) -> Floats:
    """Keep the first and last points and one point per ``step`` pixels of path length."""
    if len(points) <= 2:
        return points
    seg = np.hypot(*np.diff(points, axis=0).T)
    bucket = np.floor(np.r_[0.0, np.cumsum(seg)] / step)
    keep = np.r_[True, bucket[1:] != bucket[:-1]]
    keep[-1] = True
    return points[keep]


def path_data(points: Floats, close: bool = False) -> str:
    """``M x,y L x,y …`` (``Z`` to close) for (n, 2) pixel coordinates."""
    coords = [f"{num(x)},{num(y)}" for x, y in points]
    out = "M" + "L".join(coords)
    return out + "Z" if close else out


def svg_open(element_id: str, width: float, height: float, label: str, standalone: bool) -> str:
    """The opening tag: a viewBox in pixels; the namespace only for a standalone file."""
    ns = f' xmlns="{SVG_NS}"' if standalone else ""
    return (
        f'<svg{ns} id="{element_id}" class="{element_id}" viewBox="0 0 {num(width)} '
        f'{num(height)}" width="{num(width)}" height="{num(height)}" role="img" '
        f'aria-label={attr(label)} style="{FONT}">\n<title>{text(label)}</title>\n'
    )
