"""Candidates' stored docs and items kept in memory between searches, per process, for the
embedded index. A page after a data change ranks afresh, but only the changed profiles need
reading again: re-reading ~270 candidates' rows cost a third of /app/cluster's first view.

The index drops the profiles its change log names (service.index.embedded._sync), so an entry is
never older than what the process has synced. Docs are kept as their stored JSON text and parsed
on every read: callers get their own dicts and may change them freely."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from service.index.base import Item, items_digest

MAX_BYTES = 32 * 1024 * 1024  # per process; about 2,000 member profiles with their vectors
_ITEM_OVERHEAD = 200  # bytes of Python objects around each item's text and vector


Stack = tuple[np.ndarray, int]  # a profile's item vectors as one read-only matrix, and items_digest


class CandidateCache:
    """LRU of (kind, id) -> (doc text, items, stack), bounded by an estimate of the bytes held."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[tuple[str, str], tuple[str, list[Item], Stack | None, int]] = OrderedDict()

    def get(self, kind: str, ids: Sequence[str]) -> tuple[dict[str, tuple[str, list[Item], Stack | None]], list[str]]:
        """The entries held for `ids`, and the ids to read from the store."""
        found: dict[str, tuple[str, list[Item], Stack | None]] = {}
        missing: list[str] = []
        for pid in ids:
            entry = self._data.get((kind, pid))
            if entry is None:
                missing.append(pid)
                continue
            self._data.move_to_end((kind, pid))
            found[pid] = entry[:3]
        return found, missing

    def put(self, kind: str, pid: str, doc_text: str, items: list[Item]) -> tuple[list[Item], Stack | None]:
        """Keep a profile's row; its vectors are copied into one read-only array of their own, so
        an entry never pins the buffer of a whole read, and hashed once (scoring's caches key on
        the digest). Returns the items as kept, with that array and digest."""
        stack = None
        if items:
            matrix = np.stack([it.vector for it in items])
            matrix.flags.writeable = False
            items = [Item(it.role, it.pos, it.text, matrix[k], it.type, it.link) for k, it in enumerate(items)]
            stack = (matrix, items_digest(items, matrix))
        size = len(doc_text) + sum(len(it.text) + it.vector.nbytes + _ITEM_OVERHEAD for it in items)
        self._remove((kind, pid))
        if size <= self.max_bytes:
            self._data[(kind, pid)] = (doc_text, items, stack, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, _, _, dropped) = self._data.popitem(last=False)
                self.bytes -= dropped
        return items, stack

    def drop(self, kind: str, ids: Iterable[str]) -> None:
        for pid in ids:
            self._remove((kind, pid))

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def _remove(self, key: tuple[str, str]) -> None:
        entry = self._data.pop(key, None)
        if entry is not None:
            self.bytes -= entry[3]
