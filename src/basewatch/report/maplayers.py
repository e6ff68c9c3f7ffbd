"""What a map frame shows, layer by layer, as SVG text: the projection, the bundled basemap,
the graticule, the base's circle, the visits' tracks and the airports. The main map and its
inset around the base draw the same layers through different frames."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from basewatch.report.basemap import load_basemap
from basewatch.report.clip import Box, Floats, clip_polyline
from basewatch.report.facts import Report, Track
from basewatch.report.svg import attr, num, path_data, text, thin

KM_PER_DEG = 111.2
STEPS_DEG = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0)
SEA, LAND, COAST, BORDER, GRID = "#dbe7ef", "#f6f3ec", "#7f98aa", "#b5a48f", "#a9b9c6"
BASE_COLOUR = "#d62728"
DASHES = {
    "arrival": "",
    "departure": ' stroke-dasharray="7 4"',
    "dark": ' stroke-dasharray="1.5 3"',
}


@dataclass(frozen=True)
class Frame:
    """A window in degrees drawn at a size in pixels: equirectangular, longitudes scaled by
    the cosine of the middle latitude (true scale along it)."""

    west: float
    south: float
    east: float
    north: float
    width: float
    height: float

    @property
    def box(self) -> Box:
        return (self.west, self.south, self.east, self.north)

    @property
    def px_per_deg(self) -> float:
        """Pixels per degree of latitude (of longitude: times the cosine)."""
        return self.height / (self.north - self.south)

    @property
    def px_per_km(self) -> float:
        return self.px_per_deg / KM_PER_DEG

    def project(self, lonlat: Floats) -> Floats:
        """(n, 2) lon/lat → (n, 2) pixels."""
        k = self.px_per_deg
        cos = math.cos(math.radians((self.north + self.south) / 2))
        x = (lonlat[:, 0] - self.west) * k * cos
        y = (self.north - lonlat[:, 1]) * k
        return np.column_stack([x, y])

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        [(x, y)] = self.project(np.array([[lon, lat]], dtype=np.float64))
        return float(x), float(y)


def sea(f: Frame) -> str:
    return (
        f'<rect class="sea" x="0" y="0" width="{num(f.width)}" height="{num(f.height)}" '
        f'fill="{SEA}"/>\n'
    )


def basemap_layer(f: Frame) -> str:
    """Land (even-odd fill), coastlines and land borders, cut to the frame."""
    basemap = load_basemap()
    land = "".join(path_data(thin(f.project(r), 0.8), close=True) for r in basemap.land(f.box))
    out = f'<path class="land" fill="{LAND}" fill-rule="evenodd" stroke="none" d="{land}"/>\n'
    for kind, colour, dash in (("coast", COAST, ""), ("border", BORDER, ' stroke-dasharray="4 2"')):
        lines = "".join(path_data(thin(f.project(p), 0.8)) for p in basemap.lines(kind, f.box))
        if lines:
            out += (
                f'<path class="{kind}" fill="none" stroke="{colour}" stroke-width="0.8"{dash} '
                f'd="{lines}"/>\n'
            )
    return out


def graticule_step(span_deg: float) -> float:
    """The smallest step giving at most six lines across ``span_deg``."""
    return next((s for s in STEPS_DEG if span_deg / s <= 6), STEPS_DEG[-1])


def _degrees(value: float, pos: str, neg: str) -> str:
    return f"{abs(value):g}°{pos if value >= 0 else neg}"


def graticule(f: Frame) -> str:
    """Parallels and meridians at a round step, labelled at the left and top edges."""
    step = graticule_step(max(f.north - f.south, f.east - f.west))
    out = [
        f'<g class="graticule" stroke="{GRID}" stroke-width="0.5" font-size="10" fill="#5b6b78">\n'
    ]
    for i in range(math.ceil(f.south / step), math.floor(f.north / step) + 1):
        _, y = f.point(f.west, i * step)
        out.append(
            f'<line x1="0" y1="{num(y)}" x2="{num(f.width)}" y2="{num(y)}"/>'
            f'<text x="3" y="{num(y - 2)}" stroke="none">{_degrees(round(i * step, 6), "N", "S")}'
            "</text>\n"
        )
    for i in range(math.ceil(f.west / step), math.floor(f.east / step) + 1):
        x, _ = f.point(i * step, f.north)
        out.append(
            f'<line x1="{num(x)}" y1="0" x2="{num(x)}" y2="{num(f.height)}"/>'
            f'<text x="{num(x + 2)}" y="12" stroke="none">'
            f"{_degrees(round(i * step, 6), 'E', 'W')}</text>\n"
        )
    out.append("</g>\n")
    return "".join(out)


def base_layer(report: Report, f: Frame, css: str = "base", label: bool = True) -> str:
    """The base's circle at its true radius (at least 4 px), and its name."""
    b = report.base
    x, y = f.point(b.lon, b.lat)
    r = max(b.radius_km * f.px_per_km, 4.0)
    name = f"{b.title} ({b.icao})" if b.icao else b.title
    out = (
        f'<circle class="{css}" cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{BASE_COLOUR}" '
        f'fill-opacity="0.15" stroke="{BASE_COLOUR}" stroke-width="1.5">'
        f"<title>{text(f'{name}: radius {b.radius_km:g} km')}</title></circle>"
    )
    if label:
        out += (
            f'<text x="{num(x + r + 4)}" y="{num(y - r - 2)}" font-size="12" font-weight="bold" '
            f'fill="#a01818">{text(name)}</text>'
        )
    return out + "\n"


#: Consecutive positions further apart than this were not seen in between (a coverage gap, an
#: MLAT-only aircraft over the desert): no line is drawn there, as none was flown that we know.
UNSEEN_KM = 100.0


def seen_stretches(lonlat: Floats) -> list[Floats]:
    """The track cut where consecutive positions are more than ``UNSEEN_KM`` apart."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    a = (
        np.sin(np.diff(lat) / 2) ** 2
        + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    )
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    cuts = np.flatnonzero(km > UNSEEN_KM) + 1
    return [piece for piece in np.split(lonlat, cuts) if len(piece) > 1]


def track_layer(report: Report, t: Track, f: Frame, css: str = "track") -> str:
    """A visit's flight as a path (cut to the frame, and where it went unseen), and the dark
    stretch of an inferred arrival as a dotted line from where it was last seen to the field."""
    lonlat = np.column_stack([np.asarray(t.lons), np.asarray(t.lats)])
    pieces = [p for stretch in seen_stretches(lonlat) for p in clip_polyline(stretch, f.box)]
    visit = report.visits[t.visit - 1]
    what = "arrival flight" if t.kind == "arrival" else "departure flight"
    title = f"Visit {t.visit}: {visit.aircraft_label}, {what} {t.flight_id} ({t.points} positions)"
    d = "".join(path_data(thin(f.project(p), 1.0)) for p in pieces)
    out = ""
    if d:
        out += (
            f'<path class="{css} {t.kind}" data-visit="{t.visit}" data-flight={attr(t.flight_id)} '
            f'fill="none" stroke="{t.colour}" stroke-width="1.6" stroke-linejoin="round"'
            f'{DASHES[t.kind]} d="{d}"><title>{text(title)}</title></path>\n'
        )
    if t.dark_gap is not None:
        lat0, lon0, lat1, lon1 = t.dark_gap
        for p in clip_polyline(np.array([[lon0, lat0], [lon1, lat1]], dtype=np.float64), f.box):
            (x0, y0), (x1, y1) = f.project(p)
            note = f"Visit {t.visit}: dark from here, landing inferred"
            out += (
                f'<line class="{css}-dark" data-visit="{t.visit}" x1="{num(x0)}" y1="{num(y0)}" '
                f'x2="{num(x1)}" y2="{num(y1)}" stroke="{t.colour}" stroke-width="1.6"'
                f"{DASHES['dark']}><title>{text(note)}</title></line>\n"
            )
    return out


def airports_layer(report: Report, f: Frame) -> str:
    """The other fields involved (origins, next destinations) as labelled squares."""
    out = ['<g class="airports" font-size="11" fill="#222">\n']
    for a in report.airports:
        if a.icao == report.base.icao:
            continue
        x, y = f.point(a.lon, a.lat)
        out.append(
            f'<rect class="airport" x="{num(x - 3)}" y="{num(y - 3)}" width="6" height="6" '
            f'fill="#fff" stroke="#222"/><text x="{num(x + 6)}" y="{num(y + 4)}">'
            f"{text(f'{a.name} ({a.icao})')}</text>\n"
        )
    out.append("</g>\n")
    return "".join(out)
