"""A candidate's stored texts made ready for scoring: its vectors stacked by role, and what depends
only on those texts, computed once per process rather than on every search (issue #14 point 9):
hubness (closeness to every template label), the language its profile text leans to, which of
its requests sell.

The derived values are kept in a bounded per-process cache keyed by profile id and a digest of
the profile's items (role, position, type, link, text and vector bytes): a changed profile gets a
new digest and never reuses stale values. Only small arrays are kept; the stacked vectors are
rebuilt per search from the items just read (one stack per candidate)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.index.base import Item, items_digest

MAX_CACHED = 20_000  # candidate versions, about 1–2 kB each (small arrays and dicts)


@dataclass
class Derived:
    """What one version of a profile's items gives, whatever the search."""

    rows: dict[str, range | list[int]]  # role -> positions in the item list, in order
    link_keyed: np.ndarray  # per strong link: it names a template link (key)
    memo: dict[Any, Any] = field(default_factory=dict)  # per-model values: hubness, language, sells


@dataclass
class CandidateTexts:
    """One candidate's items for one search: role lists and stacked vectors, with its cached values."""

    offers: list[Item]
    offer_vecs: np.ndarray | None
    requests: list[Item]
    request_vecs: np.ndarray | None
    links: list[Item]  # strong links
    link_vecs: np.ndarray | None
    profile: np.ndarray | None
    derived: Derived

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A value that depends only on this version of the items (and on what `key` names)."""
        memo = self.derived.memo
        if key not in memo:
            memo[key] = compute()
        return memo[key]


class _Cache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[str, int], Derived] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> Derived | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple[str, int], value: Derived) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


CACHE = _Cache(MAX_CACHED)


def _derive(items: list[Item]) -> Derived:
    rows: dict[str, list[int]] = {}
    for k, it in enumerate(items):
        role = "strong_link" if it.role == "link" and it.type == "strong" else it.role
        rows.setdefault(role, []).append(k)
    links = [items[k] for k in rows.get("strong_link", [])]
    return Derived({role: _positions(ks) for role, ks in rows.items()},
                   np.array([bool(it.link) for it in links], dtype=bool))


def _positions(ks: list[int]) -> range | list[int]:
    """A range where the role's items are contiguous (the index reads them ordered by role): taken
    as a slice, views instead of copies. Ranges, unlike slices, are not tracked by the garbage
    collector, nor is a dict of them: ~20,000 cached versions were ~100,000 objects that every
    full collection walked (one every few dozen finds in a served process, which freezes its heap)."""
    return range(ks[0], ks[-1] + 1) if ks[-1] - ks[0] + 1 == len(ks) else ks


def _index(rows: range | list[int]) -> slice | list[int]:
    return slice(rows.start, rows.stop) if isinstance(rows, range) else rows


def candidate_texts(profile_id: str | None, items: list[Item]) -> CandidateTexts:
    """The candidate's items ready for scoring; `profile_id` None: not cached (seekers not stored)."""
    return _texts(profile_id, items, np.stack([it.vector for it in items]) if items else None)


def candidate_texts_many(items: dict[str, list[Item]], ids: list[str],
                         stacks: dict[str, tuple[np.ndarray, int]] | None = None) -> dict[str, CandidateTexts]:
    """`candidate_texts` of every candidate of a search, their vectors stacked in one array (one
    numpy call per search instead of one per candidate; each candidate's rows are a view).
    `stacks`: candidates whose vectors the index already holds as one matrix, with their digest
    (CandidateRecords.stacks): used as they are, neither copied nor hashed again."""
    stacks = stacks or {}
    lists = [items.get(pid, []) for pid in ids]
    held = [stacks.get(pid) if its else None for pid, its in zip(ids, lists)]
    held = [h if h is not None and len(h[0]) == len(its) else None for h, its in zip(held, lists)]
    vectors = [it.vector for its, h in zip(lists, held) if h is None for it in its]
    stacked = np.stack(vectors) if vectors else None
    out: dict[str, CandidateTexts] = {}
    at = 0
    for pid, its, h in zip(ids, lists, held):
        if h is not None:
            out[pid] = _texts(pid, its, h[0], h[1])
            continue
        out[pid] = _texts(pid, its, stacked[at : at + len(its)] if its and stacked is not None else None)
        at += len(its)
    return out


def _texts(profile_id: str | None, items: list[Item], matrix: np.ndarray | None,
           known_digest: int | None = None) -> CandidateTexts:
    key: tuple[str, int] | None = None
    if profile_id is not None:
        key = (profile_id, known_digest if known_digest is not None else items_digest(items, matrix))
    derived = CACHE.get(key) if key is not None else None
    if derived is None:
        derived = _derive(items)
        if key is not None:
            CACHE.put(key, derived)

    def part(role: str) -> tuple[list[Item], np.ndarray | None]:
        rows = derived.rows.get(role)
        if rows is None or matrix is None:
            return [], None
        at = _index(rows)
        if isinstance(at, slice):
            return items[at], matrix[at]
        return [items[k] for k in at], matrix[at]

    offers, offer_vecs = part("offer")
    requests, request_vecs = part("request")
    links, link_vecs = part("strong_link")
    profile = derived.rows.get("profile")
    return CandidateTexts(offers, offer_vecs, requests, request_vecs, links, link_vecs,
                          matrix[_index(profile)][0] if profile is not None else None, derived)
