"""An offline map of Europe: country shapes from the vendored world-atlas TopoJSON (npm
world-atlas, Natural Earth 1:50m), decoded once and drawn as SVG paths; no tile server."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

ATLAS = Path(__file__).parent / "static" / "vendor" / "countries-50m.json"
# The frame drawn: longitude and latitude bounds (the Canaries to the Urals' west, Malta to the North Cape).
WEST, EAST, SOUTH, NORTH = -25.0, 45.0, 34.0, 71.5
WIDTH = 800.0
KX = math.cos(math.radians(54))  # equirectangular at Europe's mean latitude
HEIGHT = WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * KX)


def _alpha2(numeric: Any) -> str | None:
    found = pycountry.countries.get(numeric=str(numeric).zfill(3)) if numeric is not None else None
    return found.alpha_2 if found else None


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Delta-decoded, de-quantised arcs as (lon, lat) lists."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def _project(lon: float, lat: float) -> tuple[float, float]:
    return (lon - WEST) * KX * WIDTH / ((EAST - WEST) * KX), (NORTH - lat) * HEIGHT / (NORTH - SOUTH)


def _in_frame(ring: list[tuple[float, float]]) -> bool:
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    return WEST - 5 <= lon <= EAST + 15 and SOUTH - 2 <= lat <= NORTH + 10


@lru_cache(maxsize=1)
def country_paths() -> dict[str, str]:
    """ISO alpha-2 → SVG path data of the country's polygons inside the frame."""
    topo = json.loads(ATLAS.read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    paths: dict[str, str] = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        code = _alpha2(geom.get("id"))
        if code is None or geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        parts = []
        for polygon in polygons:
            rings = [_ring(arcs, r) for r in polygon]
            if not rings or not rings[0] or not _in_frame(rings[0]):
                continue
            for ring in rings:
                xy = [_project(lon, lat) for lon, lat in ring]
                parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
        if parts:
            paths[code] = "".join(parts)
    return paths


def map_data(highlight: dict[str, int], home: str | None = None) -> dict[str, Any]:
    """What the map template draws: every country, those with partners marked and counted."""
    names = {c: (pycountry.countries.get(alpha_2=c).name if pycountry.countries.get(alpha_2=c) else c)
             for c in country_paths()}
    return {"width": WIDTH, "height": round(HEIGHT, 1), "home": home,
            "countries": [{"code": c, "path": p, "name": names[c], "count": highlight.get(c, 0)}
                          for c, p in sorted(country_paths().items())]}
