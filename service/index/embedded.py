"""The embedded backend: SQLite store plus in-process vector sets, kept in sync across processes."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from service.errors import ConfigurationError
from service.index import snapshot
from service.index.base import (
    ROLES,
    CandidateRecords,
    Hit,
    IndexedProfile,
    Item,
    KnnSearch,
    Page,
    ProfileFilter,
    ProfileRecord,
    Retrieved,
)
from service.index.candidate_cache import CandidateCache
from service.index.kind_state import KindState
from service.index.sqlite_store import SqliteStore, loads
from service.index.vectors import VectorSet, spare_rows
from service.vocab import ProfileKind

KINDS = tuple(k.value for k in ProfileKind)
# A process that loads this many vectors or more saves them next to the store (service.index.snapshot).
SNAPSHOT_MIN_ROWS = 20_000
# Past a snapshot, this many changed profiles or more make the loading process save a new one
# (more than half the profiles changed: a full read is cheaper than replaying them one by one).
REPLAY_MAX = 2_000


class EmbeddedIndex:
    """Implements service.index.base.ProfileIndex without any server."""

    def __init__(self, path: Path, vector_mode: str = "auto", hnsw_threshold: int = 50_000,
                 snapshot_min_rows: int = SNAPSHOT_MIN_ROWS) -> None:
        self.store = SqliteStore(path)
        self.snapshot_min_rows = snapshot_min_rows
        self.vector_mode = vector_mode
        self.hnsw_threshold = hnsw_threshold
        stored = self.store.meta("dims")
        self.dims: int | None = int(stored) if stored else None
        self._state = {kind: KindState() for kind in KINDS}
        self._vectors: dict[tuple[str, str], VectorSet] = {}
        self._seq = self._seq_loaded = 0  # the change-log position of the mirror, and of its snapshot
        self._graphs_built = False
        self._candidates = CandidateCache()  # rows of candidates read before, until they change
        self._lock = threading.RLock()

    def after_fork(self) -> None:
        """In a forked child: open new SQLite connections (one must never cross a fork); the
        vectors already in memory stay, shared copy-on-write with the parent."""
        self._lock = threading.RLock()  # a lock held by a parent thread at fork would never be freed
        for vectors in self._vectors.values():
            vectors.after_fork()
        self.store.db.forget_connections()

    def close(self) -> None:
        """Close this thread's SQLite connection; the next use opens another."""
        self.store.db.close()

    def check_model(self, model_name: str, dims: int) -> None:
        """Fail fast when the store was built with another embedding model."""
        stored_model = self.store.meta("model")
        if self.dims is not None and (self.dims != dims or stored_model != model_name):
            raise ConfigurationError(
                f"embedded store {self.store.path} holds {stored_model} vectors of {self.dims} "
                f"dimensions but the configured model {model_name} has {dims}: re-ingest into a "
                "new MAILLON_DATA_DIR or set MAILLON_MODEL back")
        if self.dims is None:
            self.store.set_meta("dims", str(dims))
            self.store.set_meta("model", model_name)
            self.dims = dims

    def warm(self) -> None:
        self._sync()

    # -- writes -------------------------------------------------------------------------------
    def upsert(self, kind: str, profiles: Sequence[IndexedProfile]) -> None:
        if profiles and self.dims is None:
            first = next((it.vector for p in profiles for it in p.items), None)
            if first is not None:
                self.dims = len(first)
                self.store.set_meta("dims", str(self.dims))
        self.store.write(kind, profiles)
        self._sync()

    def delete(self, kind: str, ids: Sequence[str]) -> int:
        removed = self.store.delete(kind, ids)
        self._sync()
        return removed

    # -- reads --------------------------------------------------------------------------------
    def get(self, kind: str, id: str) -> dict[str, Any] | None:
        return self.store.docs(kind, [id]).get(id)

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return self.store.docs(kind, ids)

    def hashes(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        return self.store.hashes(kind, ids)

    def search(self, kind: str, flt: ProfileFilter, offset: int, limit: int) -> Page:
        docs, total = self.store.search(kind, flt, offset, limit)
        return Page(docs, total)

    def count(self, kind: str) -> int:
        return self.store.count(kind)

    def lexical(self, kind: str, text: str, k: int, flt: ProfileFilter) -> list[str]:
        """Profile ids ranked by BM25 (SQLite FTS5) for any word of the text."""
        return self.store.lexical(kind, text, flt, k)

    def items(self, kind: str, id: str) -> list[Item]:
        return self.store.items(kind, id, self.dims or 0)

    def items_many(self, kind: str, ids: Sequence[str]) -> dict[str, list[Item]]:
        return self.store.items_many(kind, list(ids))

    def iter_profiles(self, kind: str, batch_size: int = 500) -> Iterator[IndexedProfile]:
        ids = self.store.all_ids(kind)
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            docs = self.store.docs(kind, chunk)
            hashes = self.store.hashes(kind, chunk)
            for pid in chunk:
                if pid in docs:
                    yield IndexedProfile(kind, pid, docs[pid], hashes[pid], self.items(kind, pid))

    def knn(
        self, kind: str, role: str, queries: np.ndarray, k: int, flt: ProfileFilter
    ) -> list[list[Hit]]:
        self._sync()
        with self._lock:
            vectors = self._vectors.get((kind, role))
            if vectors is None or len(queries) == 0:
                return [[] for _ in range(len(queries))]
            mask = self._mask(self._state[kind], flt)
            state = self._state[kind]
        found = vectors.search(np.atleast_2d(queries), k, mask)
        return [[Hit(state.ids[o], role, p, s) for o, p, s in row] for row in found]

    def knn_many(self, kind: str, searches: Sequence[KnnSearch], flt: ProfileFilter,
                 lexical: tuple[str, int] | None = None) -> Retrieved:
        """One sync and one filter mask for the whole batch, and one matrix product per (role, k):
        scanning a role's vectors once for all its queries instead of once per search."""
        self._sync()
        with self._lock:
            state = self._state[kind]
            mask = self._mask(state, flt) if searches else None
            sets = {s.role: self._vectors.get((kind, s.role)) for s in searches}
        groups: dict[tuple[str, int], list[int]] = {}
        for n, s in enumerate(searches):
            groups.setdefault((s.role, s.k), []).append(n)
        hits: list[list[list[Hit]]] = [[[] for _ in range(len(s.queries))] for s in searches]
        for (role, k), members in groups.items():
            vectors = sets[role]
            stacked = [np.atleast_2d(searches[n].queries) for n in members if len(searches[n].queries)]
            if vectors is None or not stacked:
                continue
            found = vectors.search(np.concatenate(stacked), k, mask)
            at = 0
            for n in members:
                rows = found[at : at + len(searches[n].queries)]
                at += len(searches[n].queries)
                hits[n] = [[Hit(state.ids[o], role, p, sc) for o, p, sc in row] for row in rows]
        words = self.lexical(kind, lexical[0], lexical[1], flt) if lexical else None
        return Retrieved(hits, words)

    def read_profile(self, kind: str, id: str, members_cap: int) -> ProfileRecord:
        """Local reads are cheap: coverage reads clusters and members itself when it needs them."""
        doc = self.get(kind, id)
        return ProfileRecord(doc, self.items(kind, id) if doc is not None else [])

    def read_candidates(self, kind: str, ids: Sequence[str], members_cap: int) -> CandidateRecords:
        """From the candidate cache where it holds them; the others read in one query each for
        docs and items. The sync first drops whatever another process changed."""
        self._sync()
        with self._lock:  # a sync between a read and its put could leave an older row cached
            found, missing = self._candidates.get(kind, ids)
            if missing:
                texts = self.store.doc_texts(kind, missing)
                items = self.store.items_many(kind, [pid for pid in missing if pid in texts])
                for pid, text in texts.items():
                    found[pid] = (text, *self._candidates.put(kind, pid, text, items[pid]))
        rows = [(pid, found[pid]) for pid in ids if pid in found]
        return CandidateRecords({pid: loads(text) for pid, (text, _, _) in rows},
                                {pid: its for pid, (_, its, _) in rows},
                                stacks={pid: stack for pid, (_, _, stack) in rows if stack is not None})

    def health(self) -> dict[str, Any]:
        counts = {kind: self.count(kind) for kind in KINDS}
        return {"backend": "embedded", "path": str(self.store.path), "profiles": counts,
                "dims": self.dims, "vector_mode": self.vector_mode}

    def memory_bytes(self) -> int:
        return sum(v.nbytes for v in self._vectors.values())

    # -- in-memory mirror ---------------------------------------------------------------------
    def _sync(self) -> None:
        """Bring the in-memory vectors up to date with the store (other processes write too)."""
        with self._lock:
            last, changed, truncated = self.store.rows_since(self._seq)
            first = self._seq == 0 and last > 0
            if first and self._open_snapshot():
                last, changed, truncated = self.store.rows_since(self._seq)
            if truncated or (self._seq == 0 and last > 0) or (first and len(changed) > max(
                    REPLAY_MAX, sum(len(st.ids) for st in self._state.values()) // 2)):
                self._reload_all()
                changed, first = [], True
            elif changed:
                by_kind: dict[str, list[str]] = {}
                for kind, pid in changed:
                    by_kind.setdefault(kind, []).append(pid)
                for kind, ids in by_kind.items():
                    self._reload(kind, ids)
                    self._candidates.drop(kind, ids)
            self._seq = last
            stale = self._seq_loaded == 0 or self._graphs_built or len(changed) >= REPLAY_MAX
            if first and stale and self._snapshot_worth():
                snapshot.save(self.store, last, {k: st.dump() for k, st in self._state.items()},
                              self._vectors, self.dims or 0)

    def _open_snapshot(self) -> bool:
        """Load the mirror saved by an earlier process, if it is this store's; then the changes
        logged after it are replayed like another process's writes."""
        snap = snapshot.load(self.store, self.dims, self.vector_mode, self.hnsw_threshold)
        if snap is None:
            return False
        self._state = {kind: KindState() for kind in KINDS}
        for kind, saved in snap.states.items():
            if not self._state[kind].restore(saved):
                self._read_profiles(kind)
        self._vectors = snap.sets
        self._seq = self._seq_loaded = snap.seq
        # Saved by a process of another vector mode: the graphs it lacks are built, then saved.
        self._graphs_built = any([vs.prepare() for vs in self._vectors.values()])
        return True

    def _snapshot_worth(self) -> bool:
        return self.dims is not None and sum(len(v) for v in self._vectors.values()) >= self.snapshot_min_rows

    def _reload_all(self) -> None:
        """Everything from the store in one read per kind (a restart, or a truncated change log)."""
        self._state = {kind: KindState() for kind in KINDS}
        self._vectors = {}
        self._candidates.clear()
        self._seq_loaded = 0
        for kind in KINDS:
            self._read_profiles(kind)
            self._read_vectors(kind)
        for vectors in self._vectors.values():
            vectors.prepare()

    def _read_profiles(self, kind: str) -> None:
        """Filter columns of every profile into a fresh state (slots kept if already given)."""
        state = self._state[kind]
        state.alive = [False] * len(state.ids)
        for pid, country, sector, org_type, clusters in self.store.profile_rows(kind):
            slot = state.slot(pid)
            state.country[slot], state.sector[slot], state.org_type[slot] = country, sector, org_type
            state.alive[slot] = True
            for cid in json.loads(clusters or "[]"):
                state.in_cluster.setdefault(cid, set()).add(slot)
        state.changed()

    def _read_vectors(self, kind: str) -> None:
        """Every item vector of a kind: one query, one buffer per role (no per-row arrays)."""
        slot_of = self._state[kind].slot_of
        by_role: dict[str, tuple[list[int], list[int], list[bytes]]] = {}
        for pid, role, pos, blob in self.store.vector_rows(kind):
            if pid in slot_of:
                owners, positions, blobs = by_role.setdefault(role, ([], [], []))
                owners.append(slot_of[pid])
                positions.append(pos)
                blobs.append(blob)
        for role, (owners, positions, blobs) in by_role.items():
            dims, n = len(blobs[0]) // 4, len(blobs)
            if any(len(b) != 4 * dims for b in blobs):
                raise ConfigurationError(f"embedded store {self.store.path}: {kind} {role} vectors of "
                                         "different lengths; re-ingest into a new MAILLON_DATA_DIR")
            matrix = np.zeros((n + spare_rows(n), dims), dtype=np.float32)
            matrix[:n] = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(n, dims)
            self._vectors[(kind, role)] = VectorSet.from_rows(
                dims, self.vector_mode, self.hnsw_threshold, matrix, np.array(owners), np.array(positions))

    def _reload(self, kind: str, ids: list[str] | None) -> None:
        state = self._state[kind]
        state.changed()
        seen = set()
        for pid, country, sector, org_type, clusters in self.store.profile_rows(kind, ids):
            slot = state.slot(pid)
            seen.add(pid)
            state.country[slot], state.sector[slot], state.org_type[slot] = country, sector, org_type
            state.alive[slot] = True
            for members in state.in_cluster.values():
                members.discard(slot)
            for cid in json.loads(clusters or "[]"):
                state.in_cluster.setdefault(cid, set()).add(slot)
        for pid in ids or []:
            if pid not in seen and pid in state.slot_of:
                slot = state.slot_of[pid]
                state.alive[slot] = False
                for role in ROLES:
                    if (kind, role) in self._vectors:
                        self._vectors[(kind, role)].remove(slot)
        self._load_items(kind, state, ids)

    def _load_items(self, kind: str, state: KindState, ids: list[str] | None) -> None:
        grouped: dict[tuple[str, str], tuple[list[int], list[np.ndarray]]] = {}
        current: str | None = None

        def flush() -> None:
            for (pid, role), (positions, vecs) in grouped.items():
                self._vector_set(kind, role, len(vecs[0])).add(
                    state.slot_of[pid], positions, np.stack(vecs))
            grouped.clear()

        if ids is not None:  # profiles whose items vanished entirely must lose their vectors
            for pid in ids:
                if pid in state.slot_of:
                    for role in ROLES:
                        if (kind, role) in self._vectors:
                            self._vectors[(kind, role)].remove(state.slot_of[pid])
        for pid, role, pos, blob in self.store.item_rows(kind, ids):
            if pid != current:
                flush()
                current = pid
            positions, vecs = grouped.setdefault((pid, role), ([], []))
            positions.append(pos)
            vecs.append(np.frombuffer(blob, dtype=np.float32))
        flush()

    def _vector_set(self, kind: str, role: str, dims: int) -> VectorSet:
        key = (kind, role)
        if key not in self._vectors:
            self._vectors[key] = VectorSet(dims, self.vector_mode, self.hnsw_threshold)
        return self._vectors[key]

    @staticmethod
    def _mask(state: KindState, flt: ProfileFilter) -> np.ndarray:
        cols = state.columns()
        mask = cols["alive"].copy()
        if flt.countries:
            mask &= np.isin(cols["country"], list(flt.countries))
        if flt.exclude_countries:
            mask &= ~np.isin(cols["country"], list(flt.exclude_countries))
        if flt.sectors:
            mask &= np.isin(cols["sector"], list(flt.sectors))
        if flt.org_types:
            mask &= np.isin(cols["org_type"], list(flt.org_types))
        if flt.clusters:
            inside = np.zeros(len(mask), dtype=bool)
            for cid in flt.clusters:
                inside[list(state.in_cluster.get(cid, ()))] = True
            mask &= inside
        if flt.ids is not None:
            allowed = np.zeros(len(mask), dtype=bool)
            allowed[[state.slot_of[i] for i in flt.ids if i in state.slot_of]] = True
            mask &= allowed
        for pid in flt.exclude_ids:
            if pid in state.slot_of:
                mask[state.slot_of[pid]] = False
        return mask
