"""The seeker of a match: a stored cluster or member, or a free-text need, with its vectors."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.embeddings import Embedder
from service.errors import InvalidRequestError, NotFoundError
from service.index.base import ProfileIndex, ProfileRecord
from service.matching.free_text import core_need, split_need


@dataclass
class Seeker:
    kind: str | None  # clusters, members, or None for free text
    id: str | None
    doc: dict[str, Any]
    needs: list[dict[str, Any]]  # {"text", "type", "link"}
    need_vectors: np.ndarray
    offers: list[dict[str, Any]]
    offer_vectors: np.ndarray
    profile_vector: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def country(self) -> str | None:
        return self.doc.get("country")

    @property
    def name(self) -> str:
        return self.doc.get("name") or "your need"


def stored_seeker(index: ProfileIndex, kind: str, seeker_id: str, cooperation_type: str | None,
                  record: ProfileRecord | None = None) -> Seeker:
    """`record`: the seeker as the matcher already read it (document and items in one round)."""
    doc = record.doc if record is not None else index.get(kind, seeker_id)
    if doc is None:
        raise NotFoundError(f"no {kind[:-1]} {seeker_id!r} to match for")
    items = record.items if record is not None else index.items(kind, seeker_id)
    dims = len(items[0].vector) if items else 0
    needs, need_vecs, offers, offer_vecs, profile = [], [], [], [], None
    for item in items:
        if item.role == "request" and (cooperation_type in (None, item.type)):
            needs.append({"text": item.text, "type": item.type, "link": item.link})
            need_vecs.append(item.vector)
        elif item.role == "offer":
            offers.append({"text": item.text, "type": item.type, "link": item.link})
            offer_vecs.append(item.vector)
        elif item.role == "profile":
            profile = item.vector
    links = [item for item in items if item.role == "link"]
    return Seeker(kind, seeker_id, doc, needs, _stack(need_vecs, dims), offers, _stack(offer_vecs, dims), profile,
                  {"links": links})


def text_seeker(embedder: Embedder, text: str, country: str | None, cooperation_type: str | None,
                languages: list[str] | None = None) -> Seeker:
    text = (text or "").strip()
    if len(text) < 3:
        raise InvalidRequestError("describe the need in a few words", {"text": ["too short"]})
    about, sought = split_need(text)
    vectors = embedder.encode_queries([core_need(sought)])  # the full wording stays in the reasons
    doc = {"name": "your need", "country": country, "languages": languages or []}
    need = {"text": sought, "type": cooperation_type, "link": None}
    if about is None:
        return Seeker(None, None, doc, [need], vectors, [], np.zeros((0, vectors.shape[1]), dtype=np.float32))
    # Who is asking is what the seeker does: it makes look-alikes competitors.
    offer = {"text": about, "type": None, "link": None}
    return Seeker(None, None, doc, [need], vectors, [offer], embedder.encode_documents([about]))


def _stack(vectors: list[np.ndarray], dims: int) -> np.ndarray:
    return np.stack(vectors) if vectors else np.zeros((0, dims), dtype=np.float32)
