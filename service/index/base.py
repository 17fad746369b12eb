"""The profile index interface shared by the embedded and Elasticsearch backends."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

# Roles of embedded items: what a profile offers (documents), what it seeks (queries), and the
# whole profile (a document, for free-text search and the whole-profile baseline); value-chain
# link labels (queries; type = strong|weak|missing, link = the canonical template key or None).
ROLES = ("offer", "request", "profile", "link")


@dataclass
class Item:
    role: str
    pos: int
    text: str
    vector: np.ndarray
    type: str | None = None
    link: str | None = None


@dataclass
class IndexedProfile:
    kind: str
    id: str
    doc: dict[str, Any]
    content_hash: str
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class ProfileFilter:
    """Restrictions applied inside the index, before ranking."""

    countries: frozenset[str] = frozenset()
    exclude_countries: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    org_types: frozenset[str] = frozenset()
    clusters: frozenset[str] = frozenset()  # members of these clusters
    ids: frozenset[str] | None = None  # allow-list (e.g. an event's participants)
    exclude_ids: frozenset[str] = frozenset()
    text: str | None = None  # full-text restriction (list endpoints)


@dataclass(frozen=True)
class Hit:
    profile_id: str
    role: str
    pos: int
    score: float


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int


@dataclass(frozen=True)
class KnnSearch:
    """One role's nearest-neighbour search, for each row of `queries`: part of a batch."""

    role: str
    queries: np.ndarray
    k: int


@dataclass
class Retrieved:
    """A batch's answers: per KnnSearch, per query row, its hits; and the BM25 ranking asked for."""

    hits: list[list[list[Hit]]]
    lexical: list[str] | None = None


@dataclass
class ProfileRecord:
    """A profile with its items, read for a match; with what value-chain coverage needs when the
    backend read it along (None: not read, coverage asks the index itself)."""

    doc: dict[str, Any] | None
    items: list[Item]
    clusters: dict[str, dict[str, Any]] | None = None  # a member's clusters, by id
    members: dict[str, list[dict[str, Any]]] | None = None  # cluster id -> its members (by name, id)


@dataclass
class CandidateRecords:
    docs: dict[str, dict[str, Any]]
    items: dict[str, list[Item]]
    members: dict[str, list[dict[str, Any]]] | None = None  # cluster id -> its members (by name, id)
    # Where the backend keeps them (the embedded candidate cache): per candidate, its items' vectors
    # as one read-only matrix (row k: item k) and `items_digest` of both, not made again per search.
    stacks: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)


def items_digest(items: Sequence[Item], matrix: np.ndarray | None) -> int:
    """Of a profile's items (role, position, type, link, text) and their vectors stacked in order.
    Python's own 64-bit keyed hash (SipHash, seeded per process like the caches it keys): a third
    of SHA-1's cost on a profile's few kB, and two versions of one profile colliding is a 2⁻⁶⁴ chance."""
    return hash((matrix.tobytes() if matrix is not None else b"",
                 tuple((it.role, it.pos, it.type, it.link, it.text) for it in items)))


class ProfileIndex(Protocol):
    """What the services need from a backend. Methods raise BackendUnavailableError on outages."""

    dims: int | None

    def check_model(self, model_name: str, dims: int) -> None:
        """Raise ConfigurationError when the stored vectors come from another model."""

    def warm(self) -> None:
        """Load what every request needs (vectors, graphs) before the process forks."""

    def after_fork(self) -> None:
        """In a forked child: open its own connections; keep the data loaded before the fork."""

    def upsert(self, kind: str, profiles: Sequence[IndexedProfile]) -> None: ...

    def delete(self, kind: str, ids: Sequence[str]) -> int: ...

    def get(self, kind: str, id: str) -> dict[str, Any] | None: ...

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def hashes(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...

    def search(self, kind: str, flt: ProfileFilter, offset: int, limit: int) -> Page: ...

    def count(self, kind: str) -> int: ...

    def knn(
        self, kind: str, role: str, queries: np.ndarray, k: int, flt: ProfileFilter
    ) -> list[list[Hit]]: ...

    def knn_many(self, kind: str, searches: Sequence[KnnSearch], flt: ProfileFilter,
                 lexical: tuple[str, int] | None = None) -> Retrieved:
        """Every search of a match in one round (and the BM25 top `lexical[1]` for `lexical[0]`):
        each answer as `knn` would give it."""

    def read_profile(self, kind: str, id: str, members_cap: int) -> ProfileRecord:
        """A seeker: its document and items, and (if the backend can read them in the same round)
        a member's clusters and up to `members_cap` members of each cluster it depends on."""

    def read_candidates(self, kind: str, ids: Sequence[str], members_cap: int) -> CandidateRecords:
        """Candidates' documents and items in one round (and, for clusters, their members)."""

    def items(self, kind: str, id: str) -> list[Item]: ...

    def items_many(self, kind: str, ids: Sequence[str]) -> dict[str, list[Item]]: ...

    def iter_profiles(self, kind: str, batch_size: int = 500) -> Iterator[IndexedProfile]: ...

    def health(self) -> dict[str, Any]: ...
