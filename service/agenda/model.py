"""Dataclasses of a B2B brokerage event (instance, delta) and of its agenda (schedule)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("accepted", "pending", "declined")


@dataclass(frozen=True)
class Slot:
    id: int
    day: int
    start: str  # ISO local datetime, e.g. "2026-03-10T09:00"
    end: str


@dataclass(frozen=True)
class Participant:
    id: str
    name: str = ""
    org_type: str | None = None
    country: str | None = None
    sector: str | None = None
    max_meetings: int | None = None
    # Half-open slot intervals; None means every slot.
    availability: tuple[tuple[int, int], ...] | None = None
    fixed_table: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def available_slots(self, num_slots: int) -> list[int]:
        if self.availability is None:
            return list(range(num_slots))
        seen: set[int] = set()
        for start, end in self.availability:
            seen.update(range(max(0, start), min(end, num_slots)))
        return sorted(seen)


@dataclass(frozen=True)
class Request:
    id: str
    frm: str  # "from" in the file format (a Python keyword)
    to: str
    priority: int
    status: str
    created_at: str

    @property
    def value(self) -> int:
        """Objective value of the request (format section 5)."""
        if self.status == "declined":
            return 0
        return self.priority + (1 if self.status == "accepted" else 0)


@dataclass
class Instance:
    name: str
    event: dict[str, Any]
    slots: list[Slot]
    num_tables: int
    participants: list[Participant]
    requests: list[Request]
    # What people see on each table: a number from 1 by default, or a name such as a booth.
    table_labels: list[str] | None = None
    warnings: list[str] = field(default_factory=list, compare=False)  # ignored input fields

    def table_label(self, table: int) -> str:
        if self.table_labels is not None and 0 <= table < len(self.table_labels):
            return self.table_labels[table]
        return str(table + 1)

    def table_index(self, label: str | int) -> int | None:
        """The table a person means by `label` (a label, or a number from 1)."""
        text = str(label).strip()
        for t in range(self.num_tables):
            if self.table_label(t) == text:
                return t
        return None

    def participant_map(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    def pair_weights(self) -> dict[tuple[str, str], int]:
        """Weight of every requested pair (sorted id tuple), declined-only pairs excluded."""
        weights: dict[tuple[str, str], int] = {}
        for r in self.requests:
            if r.status == "declined" or r.frm == r.to:
                continue
            key = pair_key(r.frm, r.to)
            weights[key] = weights.get(key, 0) + r.value
        return weights

    def fixed_tables(self) -> dict[int, str]:
        return {p.fixed_table: p.id for p in self.participants if p.fixed_table is not None}

    def pool_tables(self) -> list[int]:
        fixed = self.fixed_tables()
        return [t for t in range(self.num_tables) if t not in fixed]


@dataclass
class Delta:
    name: str
    base_instance: str
    cancel_participants: list[str] = field(default_factory=list)
    add_participants: list[Participant] = field(default_factory=list)
    add_requests: list[Request] = field(default_factory=list)
    # Each update is {"id": ..., plus the fields to patch}; kept as dicts (partial objects).
    update_requests: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list, compare=False)


@dataclass(frozen=True)
class Meeting:
    a: str
    b: str
    slot: int
    table: int
    confirmed: bool = True

    @property
    def pair(self) -> tuple[str, str]:
        return pair_key(self.a, self.b)


@dataclass
class Schedule:
    instance: str
    meetings: list[Meeting]
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list, compare=False)

    def weight(self, instance: Instance) -> int:
        """Schedule weight: sum of the weights of the distinct scheduled pairs."""
        weights = instance.pair_weights()
        return sum(weights.get(p, 0) for p in {m.pair for m in self.meetings})


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)
