"""Small deterministic profiles with unit vectors for backend tests (no model needed)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

from service.index.base import IndexedProfile, Item

DIMS = 8
MODEL = "test-model"


def unit(*weights: float) -> np.ndarray:
    """A unit vector from the first weights (the rest zero)."""
    v = np.zeros(DIMS, dtype=np.float32)
    v[: len(weights)] = weights
    return (v / np.linalg.norm(v)).astype(np.float32)


def axis(i: int, tilt: float = 0.0) -> np.ndarray:
    """Basis vector i, optionally tilted towards axis i+1 (nearby but not equal)."""
    v = np.zeros(DIMS, dtype=np.float32)
    v[i] = 1.0
    v[(i + 1) % DIMS] = tilt
    return (v / np.linalg.norm(v)).astype(np.float32)


def profile(index_kind: str, pid: str, vectors: dict[tuple[str, int], np.ndarray], **doc: Any) -> IndexedProfile:
    """A profile of `index_kind` (clusters/members); `doc` fields may include a cluster's `kind`."""
    doc = {"id": pid, "name": pid.replace("-", " ").title(), **doc}
    offers = [{"type": "service", "text": f"offer {pos} of {pid}", "link": "machining"}
              for (role, pos) in vectors if role == "offer"]
    requests = [{"type": "supplier", "text": f"request {pos} of {pid}", "link": None}
                for (role, pos) in vectors if role == "request"]
    doc.setdefault("offers", offers)
    doc.setdefault("requests", requests)
    items = []
    for (role, pos), vec in sorted(vectors.items()):
        source = doc["offers"] if role == "offer" else doc["requests"] if role == "request" else None
        entry = source[pos] if source else {"text": doc.get("description", pid)}
        items.append(Item(role, pos, entry["text"], vec, entry.get("type"), entry.get("link")))
    return IndexedProfile(index_kind, pid, doc, f"hash-{pid}-{uuid.uuid4().hex[:6]}", items)


def clusters() -> list[IndexedProfile]:
    return [
        profile("clusters", "fr-aero", {("profile", 0): axis(0), ("offer", 0): axis(1), ("request", 0): axis(2)},
                country="FR", sector="aeronautics", kind="competitiveness_cluster", name="Aéro Sud",
                description="Usinage de précision, aéronautique et spatial", language="fr"),
        profile("clusters", "de-luft", {("profile", 0): axis(3), ("offer", 0): axis(1, 0.3),
                                        ("offer", 1): axis(4), ("request", 0): axis(5)},
                country="DE", sector="aeronautics", kind="cluster", name="Luftfahrt BW",
                description="Präzisionsbearbeitung von Flugzeugteilen", language="de"),
        profile("clusters", "es-agro", {("profile", 0): axis(6), ("offer", 0): axis(7)},
                country="ES", sector="agrifood", kind="cluster", name="Agro Valencia",
                description="Procesado de alimentos y envases", language="es"),
        profile("clusters", "it-agro", {("profile", 0): axis(6, 0.5), ("offer", 0): axis(1, 0.6)},
                country="IT", sector="agrifood", kind="spl", name="Distretto Agro",
                description="Trasformazione alimentare e meccanica", language="it"),
    ]


def members() -> list[IndexedProfile]:
    return [
        profile("members", "fr-aero-0001", {("profile", 0): axis(0, 0.2), ("offer", 0): axis(2)},
                country="FR", sector="aeronautics", org_type="sme", clusters=["fr-aero"],
                description="Anodisation et traitement de surface"),
        profile("members", "de-luft-0001", {("profile", 0): axis(3, 0.2), ("request", 0): axis(1)},
                country="DE", sector="aeronautics", org_type="research_organisation", clusters=["de-luft"],
                description="Forschung Leichtbau"),
        profile("members", "fr-both-0001", {("profile", 0): axis(5)},
                country="FR", sector="aeronautics", org_type="large_company", clusters=["fr-aero", "de-luft"],
                description="Assemblage final"),
    ]


def same_profile(a: IndexedProfile, b: IndexedProfile) -> bool:
    """Equal docs, hashes and items (vectors within float tolerance)."""
    if (a.id, a.doc, a.content_hash, len(a.items)) != (b.id, b.doc, b.content_hash, len(b.items)):
        return False
    key = lambda it: (it.role, it.pos)  # noqa: E731
    for x, y in zip(sorted(a.items, key=key), sorted(b.items, key=key)):
        if (x.role, x.pos, x.text, x.type, x.link) != (y.role, y.pos, y.text, y.type, y.link):
            return False
        if not np.allclose(x.vector, y.vector, atol=1e-6):
            return False
    return True


def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def es_settings(url: str, data_dir: Path, index_prefix: str) -> Any:
    from service.settings import load_settings

    return load_settings({"backend": "elasticsearch", "es_url": url, "es_index_prefix": index_prefix,
                          "data_dir": data_dir, "model_name": MODEL}, environ={})
