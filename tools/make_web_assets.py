"""Copy the web dashboard's front-end packages into ``src/basewatch/web/static/vendor/``.

    python tools/make_web_assets.py            # npm ci in tools/web, then copy
    python tools/make_web_assets.py --no-install   # copy from an existing tools/web/node_modules

The versions are pinned in ``tools/web/package.json`` (and its lock file); npm runs with
``--ignore-scripts``. Only the built files a page loads are copied, with each package's
licence, and ``PROVENANCE.md`` lists package, version, licence and the sha256 of every file.
The copied files are committed: nothing needs npm when basewatch is installed or run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "tools" / "web"
VENDOR = ROOT / "src" / "basewatch" / "web" / "static" / "vendor"

#: package → (folder under vendor/, [(file in the package, name under the folder)])
FILES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "leaflet": (
        "leaflet",
        [
            ("dist/leaflet.js", "leaflet.js"),
            ("dist/leaflet.css", "leaflet.css"),
            ("dist/images/layers.png", "images/layers.png"),
            ("dist/images/layers-2x.png", "images/layers-2x.png"),
            ("dist/images/marker-icon.png", "images/marker-icon.png"),
            ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
            ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    "uplot": (
        "uplot",
        [
            ("dist/uPlot.iife.min.js", "uPlot.iife.min.js"),
            ("dist/uPlot.min.css", "uPlot.min.css"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    "swagger-ui-dist": (
        "swagger-ui",
        [
            ("swagger-ui-bundle.js", "swagger-ui-bundle.js"),
            ("swagger-ui.css", "swagger-ui.css"),
            ("LICENSE", "LICENSE"),
            ("NOTICE", "NOTICE"),
        ],
    ),
}
USE = {
    "leaflet": "the maps (base, aircraft, flight): vector layers, no tiles",
    "uplot": "the altitude and speed profile of the flight page",
    "swagger-ui-dist": "the OpenAPI documentation page /api/docs",
}
#: A trailing source-map comment makes browsers fetch a file we do not ship.
SOURCE_MAP = b"\n//# sourceMappingURL="


def install() -> None:
    """``npm ci`` (exact versions of the lock file), no install scripts, no audit."""
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True
    )


def copy(package: str) -> list[str]:
    """Copy one package's files; its PROVENANCE.md lines."""
    folder, files = FILES[package]
    src = NPM_DIR / "node_modules" / package
    meta = json.loads((src / "package.json").read_text())
    lines = [
        f"## {package} {meta['version']} ({meta.get('license', '?')})",
        "",
        f"Used for {USE[package]}. From the npm registry, `{package}@{meta['version']}`, "
        f"copied to `vendor/{folder}/`:",
        "",
    ]
    for inside, name in files:
        data = (src / inside).read_bytes()
        cut = data.rfind(SOURCE_MAP)
        if name.endswith(".js") and cut >= 0:
            data = data[:cut] + b"\n"
        out = VENDOR / folder / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        lines.append(f"- `{name}` ← `{inside}`, sha256 `{hashlib.sha256(data).hexdigest()}`")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-install", action="store_true", help="use tools/web/node_modules")
    args = parser.parse_args()
    if not args.no_install:
        install()
    shutil.rmtree(VENDOR, ignore_errors=True)
    text = [
        "# Provenance of the vendored front-end files",
        "",
        "Written by `tools/make_web_assets.py` from the versions pinned in `tools/web/package.json`"
        " (lock file `tools/web/package-lock.json`). Source-map comments are cut from the"
        " JavaScript files (the maps are not shipped); nothing else is changed. Each folder"
        " holds its package's licence.",
        "",
    ]
    for package in FILES:
        text += copy(package)
    (VENDOR / "PROVENANCE.md").write_text("\n".join(text))
    print(f"wrote {VENDOR}")


if __name__ == "__main__":
    main()
