"""What the embedded index keeps in memory per profile of one kind: its slot (the owner number of
its vectors) and the columns the in-index filters read."""
from __future__ import annotations

from typing import Any

import numpy as np


class KindState:
    """Per-kind metadata in memory: profile slots and what the in-index filters read."""

    def __init__(self) -> None:
        self.slot_of: dict[str, int] = {}
        self.ids: list[str] = []
        self.country: list[str | None] = []
        self.sector: list[str | None] = []
        self.org_type: list[str | None] = []
        self.alive: list[bool] = []
        self.in_cluster: dict[str, set[int]] = {}
        self._columns: dict[str, np.ndarray] | None = None

    def columns(self) -> dict[str, np.ndarray]:
        """The filter columns as numpy arrays, rebuilt only after a change."""
        if self._columns is None:
            self._columns = {
                "country": np.array(self.country, dtype=object), "sector": np.array(self.sector, dtype=object),
                "org_type": np.array(self.org_type, dtype=object), "alive": np.array(self.alive, dtype=bool)}
        return self._columns

    def changed(self) -> None:
        self._columns = None

    def dump(self) -> dict[str, Any]:
        return {"ids": self.ids, "country": self.country, "sector": self.sector, "org_type": self.org_type,
                "alive": self.alive, "in_cluster": {cid: sorted(slots) for cid, slots in self.in_cluster.items()}}

    def restore(self, saved: dict[str, Any]) -> bool:
        """Slots from a snapshot; False when it holds the ids only (then the rest is read)."""
        self.ids = list(saved["ids"])
        self.slot_of = {pid: slot for slot, pid in enumerate(self.ids)}
        n = len(self.ids)
        self.country, self.sector, self.org_type = [None] * n, [None] * n, [None] * n
        self.alive = [False] * n
        self._columns = None
        if "country" not in saved:
            return False
        self.country, self.sector, self.org_type = saved["country"], saved["sector"], saved["org_type"]
        self.alive = saved["alive"]
        self.in_cluster = {cid: set(slots) for cid, slots in saved["in_cluster"].items()}
        return True

    def slot(self, pid: str) -> int:
        self._columns = None
        if pid not in self.slot_of:
            self.slot_of[pid] = len(self.ids)
            self.ids.append(pid)
            for column in (self.country, self.sector, self.org_type):
                column.append(None)
            self.alive.append(False)
        return self.slot_of[pid]
