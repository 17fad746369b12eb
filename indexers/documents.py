"""Profile → index document: the texts to embed, a content hash, and batch embedding."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from service.embeddings import Embedder
from service.index.base import IndexedProfile, Item
from service.privacy import matchable_view


def content_hash(doc: dict[str, Any], model_name: str) -> str:
    """Changes when the profile or the model changes, so unchanged records skip embedding."""
    body = json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\x00" + model_name
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def profile_text(doc: dict[str, Any]) -> str:
    parts = [doc.get("name") or "", doc.get("description") or ""]
    for key in ("competences", "themes", "technologies"):
        if doc.get(key):
            parts.append(", ".join(doc[key]))
    return ". ".join(p for p in parts if p)


def _texts(doc: dict[str, Any]) -> list[tuple[str, int, str, str | None, str | None]]:
    """(role, pos, text, type, link) for everything of the profile that gets a vector."""
    # The whole-profile vector serves retrieval for anyone: built from non-private fields only.
    out = [("profile", 0, profile_text(matchable_view(doc)), None, None)]
    out += [("offer", i, o["text"], o.get("type"), o.get("link")) for i, o in enumerate(doc.get("offers") or [])]
    out += [("request", i, r["text"], r.get("type"), r.get("link")) for i, r in enumerate(doc.get("requests") or [])]
    return out


def embed_profiles(
    kind: str, docs: Sequence[dict[str, Any]], hashes: Sequence[str], embedder: Embedder
) -> list[IndexedProfile]:
    """Embed all texts of many profiles in two batched calls: requests as queries, the rest
    (offers and whole profiles) as documents."""
    flat = [(n, entry) for n, doc in enumerate(docs) for entry in _texts(doc)]
    is_query = [entry[0] == "request" for _, entry in flat]
    q_vecs = iter(embedder.encode_queries([e[2] for (_, e), q in zip(flat, is_query) if q]))
    d_vecs = iter(embedder.encode_documents([e[2] for (_, e), q in zip(flat, is_query) if not q]))
    items: list[list[Item]] = [[] for _ in docs]
    for (n, (role, pos, text, typ, link)), query in zip(flat, is_query):
        vector = next(q_vecs) if query else next(d_vecs)
        items[n].append(Item(role, pos, text, vector, typ, link))
    return [IndexedProfile(kind, doc["id"], doc, h, its) for doc, h, its in zip(docs, hashes, items)]
