"""In-process vector sets: exact top-k with numpy, or an HNSW graph for large collections."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

# Below this many candidate rows an exact scan is as fast as the graph and never misses.
EXACT_SUBSET_MAX = 20_000
# The graph's search breadth floor (hnswlib ef). On vectors shaped like real embeddings
# (tests/bench/bench_hnsw_recall.py, 100k rows, k=40, M=16) recall@k is 93 % at 40, 96 % at 64,
# 97.5 % at 96, 98 % at 128 and 99 % at 256 (1.8x the time of 128). In the match bench at 10k
# (gap-label queries included) 96 gave 95.3 %: 128 keeps a margin over 95 %.
EF_MIN = 128


class VectorSet:
    """Unit vectors of one (kind, role), each row owned by a profile slot; rows are tombstoned."""

    def __init__(self, dims: int, mode: str = "auto", hnsw_threshold: int = 50_000) -> None:
        self.dims = dims
        self.mode = mode
        self.hnsw_threshold = hnsw_threshold
        self._matrix = np.zeros((1024, dims), dtype=np.float32)
        self._owner = np.full(1024, -1, dtype=np.int64)
        self._pos = np.zeros(1024, dtype=np.int32)
        self._alive = np.zeros(1024, dtype=bool)
        self._n = 0
        self._rows_of: dict[int, range | list[int]] = {}  # owner -> its rows (a range when one run)
        self._max_owner = -1  # the highest owner any row has had
        self._hnsw = None
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, dims: int, mode: str, hnsw_threshold: int, matrix: np.ndarray, owner: np.ndarray,
                  pos: np.ndarray, alive: np.ndarray | None = None) -> VectorSet:
        """A set filled in one step (a bulk load or a snapshot), row for row as the given arrays;
        `matrix` may have spare rows past the owners' (room for later adds without a copy)."""
        vs = cls(dims, mode, hnsw_threshold)
        n = len(owner)
        alive = np.ones(n, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)[:n]
        cap = len(matrix)
        vs._matrix, vs._n = matrix, n
        vs._owner = np.concatenate([np.asarray(owner, dtype=np.int64), np.full(cap - n, -1, dtype=np.int64)])
        vs._pos = np.concatenate([np.asarray(pos, dtype=np.int32), np.zeros(cap - n, dtype=np.int32)])
        vs._alive = np.concatenate([alive, np.zeros(cap - n, dtype=bool)])
        vs._max_owner = int(vs._owner[:n].max()) if n else -1
        live = np.flatnonzero(alive)
        order = live[np.argsort(vs._owner[live], kind="stable")]
        owners = vs._owner[order]
        if not len(order):
            vs._rows_of = {}
            return vs
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        ends = np.r_[starts[1:], len(order)]
        # A profile's rows are one run almost always (written together): kept as a range, which the
        # garbage collector does not track. 400k lists at 100k profiles made every full collection
        # of a serving process walk them (~0.3 s once every ~100 finds).
        first = order[starts]
        run = (order[ends - 1] - first == ends - starts - 1).tolist()
        rows = order.tolist()
        vs._rows_of = {owner: range(f, f + b - a) if whole else rows[a:b]
                       for owner, f, a, b, whole in zip(owners[starts].tolist(), first.tolist(), starts.tolist(),
                                                        ends.tolist(), run)}
        return vs

    def save(self, prefix: Path) -> None:
        """Write the rows (and the graph, if built) to files starting with `prefix`."""
        with self._lock:
            n = self._n
            # Spare zero rows in the file: a loader's first adds fill them in place instead of
            # copying the whole mapped matrix (in every forked worker).
            matrix = np.lib.format.open_memmap(f"{prefix}.matrix.npy", mode="w+", dtype=np.float32,
                                               shape=(n + spare_rows(n), self.dims))
            matrix[:n] = self._matrix[:n]
            matrix.flush()
            del matrix
            for name, array in (("owner", self._owner), ("pos", self._pos), ("alive", self._alive)):
                np.save(f"{prefix}.{name}.npy", np.ascontiguousarray(array[:n]))
            if self._hnsw is not None:
                self._hnsw.save_index(f"{prefix}.hnsw")

    @classmethod
    def load(cls, prefix: Path, dims: int, mode: str, hnsw_threshold: int) -> VectorSet:
        """A set saved by save(): the matrix mapped copy-on-write (pages stay in the file cache,
        shared with forked workers), the graph read whole."""
        arrays = {name: np.load(f"{prefix}.{name}.npy", mmap_mode="c" if name == "matrix" else None)
                  for name in ("matrix", "owner", "pos", "alive")}
        if arrays["matrix"].shape[1:] != (dims,):
            raise ValueError(f"{prefix}: vectors of {arrays['matrix'].shape[1:]} dimensions, not {dims}")
        vs = cls.from_rows(dims, mode, hnsw_threshold, **arrays)
        graph = Path(f"{prefix}.hnsw")
        if graph.exists() and vs._wants_graph(vs._n):
            import hnswlib

            index = hnswlib.Index(space="ip", dim=dims)
            index.load_index(str(graph), max_elements=max(1024, int(vs._n * 1.5)))
            index.set_num_threads(_threads())
            index.set_ef(EF_MIN)
            vs._hnsw = index
        return vs

    def __len__(self) -> int:
        return int(self._alive[: self._n].sum())

    @property
    def nbytes(self) -> int:
        return self._matrix.nbytes + self._owner.nbytes + self._pos.nbytes + self._alive.nbytes

    def add(self, owner: int, positions: list[int], vectors: np.ndarray) -> None:
        with self._lock:
            self._remove(owner)
            count = len(positions)
            if not count:
                return
            self._grow(self._n + count)
            rows = np.arange(self._n, self._n + count)
            self._matrix[rows] = vectors
            self._owner[rows] = owner
            self._max_owner = max(self._max_owner, owner)
            self._pos[rows] = positions
            self._alive[rows] = True
            self._n += count
            self._rows_of[owner] = range(self._n - count, self._n)
            if self._hnsw is not None:
                self._hnsw_reserve(self._n)
                self._hnsw.add_items(vectors, rows)

    def remove(self, owner: int) -> None:
        with self._lock:
            self._remove(owner)

    def _remove(self, owner: int) -> None:
        rows = self._rows_of.pop(owner, None)
        if not rows:
            return
        self._alive[slice(rows.start, rows.stop) if isinstance(rows, range) else rows] = False
        if self._hnsw is not None:
            for row in rows:
                self._hnsw.mark_deleted(row)

    def _grow(self, need: int) -> None:
        if need <= len(self._owner):
            return
        size = max(need, 2 * len(self._owner))
        self._matrix = np.resize(self._matrix, (size, self.dims))
        self._owner = np.concatenate([self._owner, np.full(size - len(self._owner), -1)])
        self._pos = np.concatenate([self._pos, np.zeros(size - len(self._pos), dtype=np.int32)])
        self._alive = np.concatenate([self._alive, np.zeros(size - len(self._alive), dtype=bool)])

    def search(
        self, queries: np.ndarray, k: int, owner_mask: np.ndarray | None = None
    ) -> list[list[tuple[int, int, float]]]:
        """For each query, up to k (owner, pos, score) by inner product, best first."""
        with self._lock:
            n = self._n
            alive = self._alive[:n].copy()
            if owner_mask is not None and not self._hide_few(alive, owner_mask):
                owners = self._owner[:n]
                inside = owners < len(owner_mask)
                alive &= inside & owner_mask[np.where(inside, owners, 0)]
            count = int(np.count_nonzero(alive))
            if count == 0 or k <= 0:
                return [[] for _ in range(len(queries))]
            if self._use_graph(n) and count > EXACT_SUBSET_MAX:
                return self._graph_search(queries, k, alive)
            return self._exact_search(queries, k, np.flatnonzero(alive))

    def _hide_few(self, alive: np.ndarray, owner_mask: np.ndarray) -> bool:
        """`alive` &= the owner mask, row by row of the few owners it hides (a search that leaves
        out only the seeker): a gather of the mask over every row cost ~1 ms per search at 250k
        rows. False, with `alive` untouched, when the mask hides many owners or does not cover
        every owner (then the caller applies it to every row)."""
        if self._max_owner >= len(owner_mask):
            return False
        hidden = np.flatnonzero(~owner_mask)
        if len(hidden) > 64:
            return False
        for owner in hidden.tolist():
            rows = self._rows_of.get(owner)
            if rows:
                alive[slice(rows.start, rows.stop) if isinstance(rows, range) else rows] = False
        return True

    def _exact_search(
        self, queries: np.ndarray, k: int, rows: np.ndarray
    ) -> list[list[tuple[int, int, float]]]:
        n = self._n
        if len(rows) * 4 < n:  # a small subset: gathering it is cheaper than scoring everything
            matrix, ids_of = self._matrix[rows], rows
        else:  # score every row in place (no copy of the matrix) and mask the others out
            matrix, ids_of = self._matrix[:n], None
        scores = queries.astype(np.float32) @ matrix.T
        if ids_of is None and len(rows) < n:
            outside = np.ones(n, dtype=bool)
            outside[rows] = False
            scores[:, outside] = -np.inf
        k = min(k, len(rows))
        out = []
        for row_scores in scores:
            top = np.argpartition(-row_scores, k - 1)[:k]
            top = top[np.argsort(-row_scores[top])]
            ids = top if ids_of is None else ids_of[top]
            out.append(list(zip(self._owner[ids].tolist(), self._pos[ids].tolist(), row_scores[top].tolist())))
        return out

    def prepare(self) -> bool:
        """Build the graph now (after a bulk load) rather than on the first query; True if built."""
        if self._hnsw is None and self._wants_graph(self._n):
            self._build_graph()
            return True
        return False

    def _wants_graph(self, n: int) -> bool:
        return self.mode == "hnsw" or (self.mode != "exact" and n >= self.hnsw_threshold)

    def _use_graph(self, n: int) -> bool:
        if self._wants_graph(n):
            if self._hnsw is None:
                self._build_graph()
            return True
        return False

    def _build_graph(self) -> None:
        import hnswlib  # only needed for large collections

        index = hnswlib.Index(space="ip", dim=self.dims)
        index.init_index(max_elements=max(1024, int(self._n * 1.5)), ef_construction=100, M=16)
        index.set_num_threads(2)  # a one-off build at startup, before any request
        live = np.flatnonzero(self._alive[: self._n])
        if len(live):
            index.add_items(self._matrix[live], live)
        index.set_num_threads(_threads())
        index.set_ef(EF_MIN)
        self._hnsw = index

    def _hnsw_reserve(self, n: int) -> None:
        assert self._hnsw is not None
        if n > self._hnsw.get_max_elements():
            self._hnsw.resize_index(int(n * 1.5))

    def _graph_search(
        self, queries: np.ndarray, k: int, alive: np.ndarray
    ) -> list[list[tuple[int, int, float]]]:
        assert self._hnsw is not None
        k = min(k, int(alive.sum()))
        hidden = int(self._alive[: self._n].sum() - alive.sum())
        if hidden <= 64:
            # A few rows masked (the seeker's own): an unfiltered search, then drop them, spares
            # the Python filter callback on every visited node.
            self._hnsw.set_ef(max(EF_MIN, 2 * (k + hidden)))
            labels, distances = self._hnsw.knn_query(queries.astype(np.float32), k=k + hidden)
        else:
            # Filtered nodes are walked but never fill the result list: the breadth needed grows
            # with the share filtered out, not with its count (2(k + hidden) was ~whole-graph).
            share = float(alive.sum()) / max(1, int(self._alive[: self._n].sum()))
            self._hnsw.set_ef(min(max(EF_MIN, int(2 * k / max(share, 1e-3))), 2 * (k + hidden)))
            labels, distances = self._hnsw.knn_query(
                queries.astype(np.float32), k=k, filter=lambda label: bool(alive[label]))
        # Whole arrays converted at once: a numpy scalar per hit cost ~10 µs, a third of a query.
        rows = labels.astype(np.int64)
        return [
            [(o, p, s) for o, p, s, ok in zip(owners, positions, scores, keep) if ok][:k]
            for owners, positions, scores, keep in zip(self._owner[rows].tolist(), self._pos[rows].tolist(),
                                                       (1.0 - distances).tolist(), alive[rows].tolist())
        ]


def spare_rows(n: int) -> int:
    """Room left after a bulk load for rows added later."""
    return max(1024, n // 8)


def _threads() -> int:
    """The process's CPU share (MAILLON_CPU_THREADS, applied to OMP_NUM_THREADS by service.cpu)."""
    import os

    for var in ("MAILLON_CPU_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 2
