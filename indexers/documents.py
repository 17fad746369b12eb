"""Profile → index document: the texts to embed, a content hash, and batch embedding."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from service.embeddings import Embedder
from service.index.base import IndexedProfile, Item
from service.links import LinkVocabulary
from service.privacy import matchable_view

# Needs are searched with; link labels are compared with labels and needs: both are queries.
QUERY_ROLES = frozenset({"request", "link"})


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
    out += [("link", i, text, status, key) for i, (text, status, key) in enumerate(link_entries(doc))]
    return out


def link_entries(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(label as written, status, canonical key or None) of every value-chain link of a profile:
    a cluster's declared chain, the links a member sits on (strong for it)."""
    if doc.get("value_chain"):
        return [(v.get("label") or v["link"], v["status"], v.get("canonical", v["link"])) for v in doc["value_chain"]]
    labels = doc.get("link_labels") or [{"label": x, "canonical": x} for x in doc.get("value_chain_links") or []]
    return [(e["label"], "strong", e.get("canonical")) for e in labels]


def embed_profiles(
    kind: str, docs: Sequence[dict[str, Any]], hashes: Sequence[str], embedder: Embedder,
    labels: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> list[IndexedProfile]:
    """Embed all texts of many profiles in batched calls: requests as queries, offers and whole
    profiles as documents, value-chain labels as queries through `labels` when given (a label
    repeats across profiles and is often a template label: LinkVocabulary.label_vectors)."""
    flat = [(n, entry) for n, doc in enumerate(docs) for entry in _texts(doc)]
    group = ["label" if labels is not None and e[0] == "link" else "query" if e[0] in QUERY_ROLES else "document"
             for _, e in flat]
    encoders = {"query": embedder.encode_queries, "document": embedder.encode_documents, "label": labels}
    vectors = {g: iter(encode([e[2] for (_, e), h in zip(flat, group) if h == g]))  # type: ignore[misc]
               for g, encode in encoders.items() if g in group}
    items: list[list[Item]] = [[] for _ in docs]
    for (n, (role, pos, text, typ, link)), g in zip(flat, group):
        items[n].append(Item(role, pos, text, next(vectors[g]), typ, link))
    return [IndexedProfile(kind, doc["id"], doc, h, its) for doc, h, its in zip(docs, hashes, items)]


def canonicalise_links(profiles: Sequence[IndexedProfile], vocabulary: LinkVocabulary, same_link: float
                       ) -> list[tuple[str, str, str]]:
    """Map each free-text link label to a template link when the model says it is the same link,
    reusing the label vectors just embedded (no extra model call). Updates the documents and
    items in place; returns (profile id, field, message) for the labels kept as free links."""
    open_items = [(p, it) for p in profiles for it in p.items if it.role == "link" and it.link is None]
    if not open_items:
        return []
    found = vocabulary.canonical(np.stack([it.vector for _, it in open_items]),
                                 [p.doc.get("sector") for p, _ in open_items], same_link)
    notes = []
    for (profile, item), (key, confidence) in zip(open_items, found):
        item.link = key
        field = _set_canonical(profile.doc, item.pos, key, confidence)
        if key is None:
            notes.append((profile.id, field, f"value-chain link {item.text!r} matches no template link: kept as "
                                             f"a free link (closest at cosine {confidence:.2f})"))
    return notes


def _set_canonical(doc: dict[str, Any], pos: int, key: str | None, confidence: float) -> str:
    if doc.get("value_chain"):
        entry = doc["value_chain"][pos]
        entry.update(canonical=key, confidence=confidence, link=key or entry["link"])
        return f"value_chain.{pos}.link"
    if doc.get("link_labels"):
        doc["link_labels"][pos].update(canonical=key, confidence=confidence)
        if key:
            doc["value_chain_links"][pos] = key
    return f"value_chain_links.{pos}"
