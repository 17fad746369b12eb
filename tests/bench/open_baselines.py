"""The three baselines of the open-world evaluation (tests/eval/open), scored on the raw records
so that they run whatever the ingest rejects: whole-profile cosine, BM25, and issue #11's
"20-line baseline" (best need→offer cosine minus a penalty when the candidate's offers resemble
the seeker's own)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

# How much a look-alike's offers cost it in the 20-line baseline (cosines of e5 models sit
# between ~0.7 and ~0.9, so this weighs a resemblance about as much as an answer).
LOOKALIKE_PENALTY = 0.5


def tokens(text: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]{2,}", plain)


def _chain(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in record.get("value_chain") or [] if isinstance(v, dict) and v.get("link")]


def profile_text(record: dict[str, Any]) -> str:
    """Everything a person wrote about the profile, in one text."""
    parts = [record.get("name", ""), record.get("sector", ""), record.get("description", "")]
    for key in ("competences", "themes", "technologies", "value_chain_links"):
        parts.append(", ".join(str(x) for x in record.get(key) or []))
    parts.append(", ".join(f"{v['link']} ({v.get('status', '')})" for v in _chain(record)))
    parts += [o["text"] for o in record.get("offers") or []] + [r["text"] for r in record.get("requests") or []]
    return ". ".join(p for p in parts if p)


def needs_of(record: dict[str, Any]) -> list[str]:
    """Requests and the value-chain links the profile lacks (missing or weak)."""
    return [r["text"] for r in record.get("requests") or []] + [
        v["link"] for v in _chain(record) if v.get("status") in ("missing", "weak")]


def offers_of(record: dict[str, Any]) -> list[str]:
    """Offers and the links the profile is strong on (a member's links are where it works)."""
    return [o["text"] for o in record.get("offers") or []] + [
        v["link"] for v in _chain(record) if v.get("status") == "strong"] + [
        str(x) for x in record.get("value_chain_links") or []]


class Vectors:
    """Embeds each text once per role (query or document) across all scenarios."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self._cache: dict[tuple[bool, str], np.ndarray] = {}

    def get(self, texts: Sequence[str], query: bool) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if (query, t) not in self._cache))
        if todo:
            encode = self.embedder.encode_queries if query else self.embedder.encode_documents
            for text, vector in zip(todo, encode(todo)):
                self._cache[(query, text)] = np.asarray(vector, dtype=np.float32)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cache[(query, t)] for t in texts])


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def _order(ids: list[str], scores: Sequence[float]) -> list[str]:
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))]


def rank_cosine(vectors: Vectors, seeker: dict[str, Any] | None, text: str | None,
                candidates: dict[str, dict[str, Any]]) -> list[str]:
    ids = list(candidates)
    query = vectors.get([text], True) if seeker is None else vectors.get([profile_text(seeker)], False)
    docs = vectors.get([profile_text(candidates[i]) for i in ids], False)
    return _order(ids, _cos(query, docs)[0].tolist())


def rank_bm25(model: Any, corpus_ids: list[str], seeker: dict[str, Any] | None, text: str | None,
              candidates: dict[str, dict[str, Any]]) -> list[str]:
    """`model` is fitted on every profile of the target kind, so IDF comes from the whole set."""
    ids = list(candidates)
    position = {pid: n for n, pid in enumerate(corpus_ids)}
    query = tokens(text if seeker is None else profile_text(seeker))
    scores = model.get_batch_scores(query, [position[i] for i in ids])
    return _order(ids, list(scores))


def rank_need_offer(vectors: Vectors, seeker: dict[str, Any] | None, text: str | None,
                    candidates: dict[str, dict[str, Any]]) -> list[str]:
    """max cos(seeker need, candidate offer) − penalty · max cos(seeker offer, candidate offer)."""
    ids = list(candidates)
    needs = [text] if seeker is None else needs_of(seeker) or [profile_text(seeker)]
    own = [] if seeker is None else offers_of(seeker)
    need_vecs = vectors.get(needs, True)
    own_vecs = vectors.get(own, False)
    scores = []
    for pid in ids:
        offers = vectors.get(offers_of(candidates[pid]) or [profile_text(candidates[pid])], False)
        score = float(_cos(need_vecs, offers).max())
        if len(own):
            score -= LOOKALIKE_PENALTY * float(_cos(own_vecs, offers).max())
        scores.append(score)
    return _order(ids, scores)
