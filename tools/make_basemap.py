"""Regenerate the bundled basemap ``src/basewatch/data/basemap/world-50m.json.gz``.

    npm install --prefix /tmp/wa world-atlas@2.0.2
    python tools/make_basemap.py /tmp/wa/node_modules/world-atlas/countries-50m.json

Reads the TopoJSON of world-atlas (Natural Earth 1:50m admin-0 countries, public domain) and
keeps only what a report map draws: the quantized, delta-encoded arcs as they are, which arcs
are coastline (the arcs of the ``land`` object) and which are land borders (every other arc of
``countries``: shared by two countries), and the land polygons as rings of signed arc indices
(TopoJSON's convention: ``~i`` is arc ``i`` reversed). Country names and ids are dropped.
Deterministic: same input, same bytes (gzip without a name or time stamp).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "basewatch" / "data" / "basemap"
NAME = "world-50m.json.gz"
SOURCE = "world-atlas 2.0.2, countries-50m.json (Natural Earth 4.1.0, 1:50m admin-0 countries)"


def arc_ids(nested: Any) -> list[int]:
    """Every arc index (unsigned) in a TopoJSON ``arcs`` member, however deeply nested."""
    if isinstance(nested, int):
        return [nested if nested >= 0 else ~nested]
    return [i for item in nested for i in arc_ids(item)]


def land_polygons(topology: dict[str, Any]) -> list[list[list[int]]]:
    """The ``land`` object's polygons: each a list of rings, each a list of signed arc ids."""
    polygons: list[list[list[int]]] = []
    for geometry in topology["objects"]["land"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons.append(geometry["arcs"])
        elif geometry["type"] == "MultiPolygon":
            polygons.extend(geometry["arcs"])
    return polygons


def basemap(topology: dict[str, Any]) -> dict[str, Any]:
    """The compact document the package ships."""
    polygons = land_polygons(topology)
    coast = sorted(set(arc_ids(polygons)))
    countries = {
        i
        for g in topology["objects"]["countries"]["geometries"]
        for i in arc_ids(g.get("arcs", []))
    }
    border = sorted(countries - set(coast))
    arcs = [[v for point in arc for v in point] for arc in topology["arcs"]]
    return {
        "format": "basewatch-basemap/1",
        "source": SOURCE,
        "licence": "Natural Earth: public domain; world-atlas packaging: ISC",
        "transform": topology["transform"],
        "arcs": arcs,
        "coast": coast,
        "border": border,
        "land": polygons,
    }


def write(doc: dict[str, Any], out: Path) -> Path:
    """Gzip the JSON deterministically (no file name, time stamp zero)."""
    raw = json.dumps(doc, separators=(",", ":")).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
        gz.write(raw)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-50m.json")
    parser.add_argument("--out", type=Path, default=OUT / NAME)
    args = parser.parse_args()
    source = args.topojson.read_bytes()
    doc = basemap(json.loads(source))
    out = write(doc, args.out)
    print(f"input  {args.topojson} sha256 {hashlib.sha256(source).hexdigest()}")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"output {out} {out.stat().st_size:,} bytes sha256 {digest}")
    print(
        f"{len(doc['arcs'])} arcs ({len(doc['coast'])} coast, {len(doc['border'])} border), "
        f"{len(doc['land'])} land polygons"
    )


if __name__ == "__main__":
    main()
