"""The report's map as SVG text: the bundled basemap, a graticule, the base's circle, each
visit's arrival (solid) and departure (dashed) track with the dark stretch of an inferred
arrival dotted, the airports involved, a scale bar, an inset around the base when the tracks
reach far, and a legend below. Same report, same text.

The frame is fitted to the tracks, the base and the airports with a margin (layers in
``maplayers.py``: equirectangular, scaled by the cosine of the middle latitude).
"""

from __future__ import annotations

import math

import numpy as np

from basewatch.report.facts import Report
from basewatch.report.maplayers import (
    DASHES,
    KM_PER_DEG,
    Frame,
    airports_layer,
    base_layer,
    basemap_layer,
    graticule,
    sea,
    track_layer,
)
from basewatch.report.svg import num, svg_open, text

WIDTH = 820.0
MIN_HEIGHT, MAX_HEIGHT = 420.0, 900.0
MARGIN = 0.08
MIN_SPAN_DEG = 1.2
INSET_PX = 230.0
#: An inset shows the base's surroundings when the map is this many times wider than it.
INSET_RATIO = 4.0
LEGEND_LINE = 16.0


def fit(lons: list[float], lats: list[float], width: float = WIDTH) -> Frame:
    """The smallest frame holding every point with a margin, neither too flat nor too tall."""
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    cos = math.cos(math.radians(mid_lat))
    half_h = max(north - south, MIN_SPAN_DEG) * (0.5 + MARGIN)
    half_w = max((east - west) * cos, MIN_SPAN_DEG) * (0.5 + MARGIN)
    height = width * half_h / half_w
    if height < MIN_HEIGHT:
        half_h = half_w * MIN_HEIGHT / width
    elif height > MAX_HEIGHT:
        half_w = half_h * width / MAX_HEIGHT
    return Frame(
        west=mid_lon - half_w / cos,
        south=mid_lat - half_h,
        east=mid_lon + half_w / cos,
        north=mid_lat + half_h,
        width=width,
        height=min(max(height, MIN_HEIGHT), MAX_HEIGHT),
    )


def frame_of(report: Report) -> Frame:
    """The frame around the tracks, the base's circle and the airports."""
    b = report.base
    dlat = b.radius_km / KM_PER_DEG
    dlon = dlat / max(math.cos(math.radians(b.lat)), 0.01)
    lons = [b.lon - dlon, b.lon + dlon, *(a.lon for a in report.airports)]
    lats = [b.lat - dlat, b.lat + dlat, *(a.lat for a in report.airports)]
    for t in report.tracks:
        lons += [min(t.lons), max(t.lons)]
        lats += [min(t.lats), max(t.lats)]
    return fit(lons, lats)


def inset_frame(report: Report) -> Frame:
    """A square around the base: four radii, at least 40 km, each way."""
    b = report.base
    half_km = max(4 * b.radius_km, 40.0)
    dlat = half_km / KM_PER_DEG
    dlon = dlat / max(math.cos(math.radians(b.lat)), 0.01)
    return Frame(b.lon - dlon, b.lat - dlat, b.lon + dlon, b.lat + dlat, INSET_PX, INSET_PX)


def map_svg(report: Report, standalone: bool = True) -> str:
    """The map as an SVG document (``standalone``) or an element to inline in HTML."""
    f = frame_of(report)
    legend = _legend(report)
    height = f.height + len(legend) * LEGEND_LINE + 12
    label = f"Map of the tracks of {len(report.visits)} visits to {report.base.title}"
    parts = [
        svg_open("map", f.width, height, label, standalone),
        sea(f),
        basemap_layer(f),
        graticule(f),
        base_layer(report, f),
        *(track_layer(report, t, f) for t in report.tracks),
        airports_layer(report, f),
        _inset(report, f),
        _scale_bar(f),
        '<g class="legend" font-size="11" fill="#222">\n',
        f'<rect x="0" y="{num(f.height)}" width="{num(f.width)}" '
        f'height="{num(height - f.height)}" fill="#fff"/>\n',
        *(
            line.replace("{y}", num(f.height + 14 + i * LEGEND_LINE))
            for i, line in enumerate(legend)
        ),
        "</g>\n</svg>\n",
    ]
    return "".join(parts)


def _inset(report: Report, main: Frame) -> str:
    """The base's surroundings in the emptiest corner, when the main map is too wide to show
    them; a rectangle on the main map marks the area."""
    f = inset_frame(report)
    if (main.east - main.west) < INSET_RATIO * (f.east - f.west):
        return ""
    x0, y0 = _corner(report, main)
    (ax, ay), (bx, by) = main.point(f.west, f.north), main.point(f.east, f.south)
    half_km = (f.north - f.south) / 2 * KM_PER_DEG
    return "".join(
        [
            f'<rect class="inset-area" x="{num(ax)}" y="{num(ay)}" width="{num(bx - ax)}" '
            f'height="{num(by - ay)}" fill="none" stroke="#333" stroke-width="0.8"/>\n',
            f'<g class="inset" transform="translate({num(x0)},{num(y0)})">\n',
            sea(f),
            basemap_layer(f),
            base_layer(report, f, css="base-inset", label=False),
            *(track_layer(report, t, f, css="inset-track") for t in report.tracks),
            f'<rect x="0" y="0" width="{num(f.width)}" height="{num(f.height)}" fill="none" '
            f'stroke="#333" stroke-width="1"/>',
            f'<text x="4" y="{num(f.height - 5)}" font-size="10" fill="#333">'
            f"{text(f'{report.base.title}, ±{half_km:.0f} km')}</text>\n</g>\n",
        ]
    )


def _corner(report: Report, main: Frame) -> tuple[float, float]:
    """The top-left pixel of the corner (bottom right, top right, top left) whose square holds
    the fewest track positions, airports and base: the inset hides the least there."""
    lonlat = [(a.lon, a.lat) for a in report.airports] + [(report.base.lon, report.base.lat)]
    for t in report.tracks:
        lonlat += list(zip(t.lons, t.lats, strict=True))
    pts = main.project(np.asarray(lonlat, dtype=np.float64))
    pad = INSET_PX + 10
    corners = [
        (main.width - pad, main.height - pad),
        (main.width - pad, 10.0),
        (10.0, 10.0),
    ]

    def hidden(corner: tuple[float, float]) -> int:
        x, y = corner
        inside = (pts[:, 0] >= x - 10) & (pts[:, 0] <= x + pad) & (pts[:, 1] >= y - 10)
        return int((inside & (pts[:, 1] <= y + pad)).sum())

    return min(corners, key=hidden)


def nice_km(target: float) -> float:
    """The 1-2-5 number of km nearest below ``target``."""
    exp = 10 ** math.floor(math.log10(max(target, 1e-9)))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= target))


def _scale_bar(f: Frame) -> str:
    km = nice_km(f.width / 5 / f.px_per_km)
    length = km * f.px_per_km
    x, y, half = 16.0, f.height - 18, length / 2
    return (
        f'<g class="scale-bar" font-size="11">'
        f'<rect x="{num(x - 6)}" y="{num(y - 16)}" width="{num(length + 12)}" height="26" '
        f'fill="#fff" fill-opacity="0.8"/>'
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(half)}" height="4" fill="#222"/>'
        f'<rect x="{num(x + half)}" y="{num(y)}" width="{num(half)}" height="4" fill="#fff" '
        f'stroke="#222" stroke-width="0.5"/>'
        f'<text x="{num(x)}" y="{num(y - 4)}">{km:g} km</text></g>\n'
    )


def _legend(report: Report) -> list[str]:
    """Legend lines (``{y}`` is filled in): the line styles, then one line per aircraft."""
    styles = ""
    for i, (kind, name) in enumerate(
        (
            ("arrival", "arrival flight"),
            ("departure", "departure flight"),
            ("dark", "dark, inferred"),
        )
    ):
        x = 10 + 170 * i
        styles += (
            f'<line x1="{x}" y1="{{y}}" x2="{x + 30}" y2="{{y}}" stroke="#444" stroke-width="1.6"'
            f'{DASHES[kind]}/><text x="{x + 38}" y="{{y}}" dy="4">{name}</text>'
        )
    circle = f"circle: the base's {report.base.radius_km:g} km radius"
    lines = [f'{styles}<text x="520" y="{{y}}" dy="4">{text(circle)}</text>\n']
    for a in report.aircraft:
        lines.append(
            f'<line x1="10" y1="{{y}}" x2="40" y2="{{y}}" stroke="{a.colour}" stroke-width="3"/>'
            f'<text x="48" y="{{y}}" dy="4">{text(a.label)}</text>\n'
        )
    return lines
