"""IndexedProfile ⇄ Elasticsearch documents: one profile document and one document per item."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from service.index.base import IndexedProfile, Item
from service.privacy import matchable_view

# Keyword fields copied from the profile (a strict mapping rejects anything else).
_KEYWORDS = {
    "clusters": ("region", "nuts", "sector", "stage", "languages", "language", "target_markets",
                 "cooperation_types", "networks"),
    "members": ("region", "city", "sector", "size_band", "nace", "certifications", "markets",
                "languages", "language", "target_markets", "cooperation_types", "clusters"),
}
# What an item carries from its profile so that kNN filters run inside the vector search.
ITEM_FILTER_FIELDS = ("country", "sector", "org_type", "clusters")


def item_id(profile_id: str, role: str, pos: int) -> str:
    # Stable ids: a re-upsert overwrites items in place, then removes only the surplus.
    return f"{profile_id}\x1f{role}\x1f{pos}"


def org_type(kind: str, doc: dict[str, Any]) -> str | None:
    # As in the embedded store: a member's org_type, or a cluster's kind.
    return doc.get("org_type") or doc.get("kind")


def search_text(doc: dict[str, Any]) -> str:
    """The same text the embedded store puts in its full-text index (never a private field)."""
    doc = matchable_view(doc)
    parts = [doc.get("name") or "", doc.get("description") or "", " ".join(doc.get("competences") or []),
             " ".join(doc.get("themes") or []), " ".join(doc.get("technologies") or [])]
    parts += [o.get("text", "") for o in doc.get("offers") or []]
    return "\n".join(p for p in parts if p)


def links(kind: str, doc: dict[str, Any]) -> list[str]:
    if kind == "clusters":
        return [v["link"] for v in doc.get("value_chain") or [] if isinstance(v, dict) and v.get("link")]
    return list(doc.get("value_chain_links") or [])


def profile_source(kind: str, profile: IndexedProfile, now: datetime | None = None) -> dict[str, Any]:
    doc = profile.doc
    source: dict[str, Any] = {
        "id": profile.id, "kind": doc.get("kind") if kind == "clusters" else None,
        "name": doc.get("name"), "description": doc.get("description"), "search_text": search_text(doc),
        "country": doc.get("country"), "org_type": org_type(kind, doc), "links": links(kind, doc),
        "content_hash": profile.content_hash,
        "updated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "doc": doc,
    }
    for field in _KEYWORDS.get(kind, ()):
        value = doc.get(field)
        if isinstance(value, list):
            source[field] = [str(v) for v in value if v is not None and not isinstance(v, dict)]
        elif value is not None and not isinstance(value, dict):
            source[field] = str(value)
    return {k: v for k, v in source.items() if v is not None and v != []}


def item_sources(kind: str, profile: IndexedProfile, shared: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, source) of every item; `shared` is the profile's source, whose filter fields are copied."""
    filters = {f: shared[f] for f in ITEM_FILTER_FIELDS if f in shared}
    out = []
    for item in profile.items:
        source: dict[str, Any] = {
            "profile_id": profile.id, "role": item.role, "pos": int(item.pos), "type": item.type,
            "link": item.link, "text": item.text,
            "vector": [float(x) for x in np.asarray(item.vector, dtype=np.float32)], **filters,
        }
        out.append((item_id(profile.id, item.role, item.pos), {k: v for k, v in source.items() if v is not None}))
    return out


def bulk_actions(kind: str, profiles: Sequence[IndexedProfile], index: str,
                 items_index: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Bulk index actions for profiles and their items, and the item ids written."""
    actions, written = [], []
    for p in profiles:
        source = profile_source(kind, p)
        actions.append({"_index": index, "_id": p.id, "_source": source})
        for iid, item in item_sources(kind, p, source):
            actions.append({"_index": items_index, "_id": iid, "_source": item})
            written.append(iid)
    return actions, written


def to_item(source: dict[str, Any]) -> Item:
    return Item(source["role"], int(source["pos"]), source.get("text") or "",
                np.asarray(source["vector"], dtype=np.float32), source.get("type"), source.get("link"))
