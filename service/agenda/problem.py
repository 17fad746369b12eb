"""Integer-indexed view of an instance shared by the solvers: pairs, capacities, slot masks."""
from __future__ import annotations

from dataclasses import dataclass, field

from service.agenda.model import Instance, Request, pair_key

# An accepted request outranks every pending one, whatever the priorities: its rank value is
# (priority + 1) x ACCEPTED_UNIT against a pending request's bare priority (1-3), so no plausible
# exchange of pending meetings outweighs one accepted meeting. Priority orders requests only
# within the same status.
ACCEPTED_UNIT = 64
# Giving a participant their first meeting is worth more than any pending weight but less than
# one accepted request (2 x ACCEPTED_UNIT): coverage never displaces an accepted meeting for a
# pending one.
COVERAGE_BONUS = 96


def rank_value(r: Request) -> int:
    """The solver's value of one request (format section 5 weight, re-ranked by status)."""
    if r.status == "accepted":
        return (r.priority + 1) * ACCEPTED_UNIT
    return r.priority if r.status == "pending" else 0


def bits(mask: int) -> list[int]:
    """Indices of the set bits of `mask`, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


@dataclass
class Problem:
    instance: Instance
    ids: list[str]
    index: dict[str, int]
    n_slots: int
    avail: list[int]  # slot bitmask per participant
    cap: list[int]  # min(max_meetings, available slots)
    fixed: list[int]  # fixed table per participant, -1 when none
    pool: list[int]  # shared-pool tables
    day_masks: list[int]
    # candidate pairs (u < v by index), weight > 0 and at least one common slot
    eu: list[int] = field(default_factory=list)
    ev: list[int] = field(default_factory=list)
    ew: list[int] = field(default_factory=list)  # format weight (section 5), for reporting
    erank: list[int] = field(default_factory=list)  # rank value: what the solver maximises
    eacc: list[bool] = field(default_factory=list)  # the pair has an accepted request
    efirst: list[str] = field(default_factory=list)  # earliest created_at (first come, first served)
    ecommon: list[int] = field(default_factory=list)
    epool: list[bool] = field(default_factory=list)
    edge_of: dict[tuple[int, int], int] = field(default_factory=dict)
    adj: list[list[int]] = field(default_factory=list)  # edges per participant
    slot_day: list[int] = field(default_factory=list)  # the day mask of each slot

    @property
    def n(self) -> int:
        return len(self.ids)

    def edge(self, a: str, b: str) -> int | None:
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return None
        return self.edge_of.get((min(ia, ib), max(ia, ib)))

    def table_for(self, e: int) -> int | None:
        """The fixed table a meeting must use, or None when it goes to the shared pool."""
        fu, fv = self.fixed[self.eu[e]], self.fixed[self.ev[e]]
        if fu >= 0:
            return fu
        return fv if fv >= 0 else None

    def covered_value(self, deg: list[int]) -> int:
        """Coverage part of the objective: participants with a meeting, among those who could."""
        return COVERAGE_BONUS * sum(1 for p, d in enumerate(deg) if d and self.adj[p])

    def gaps(self, busy: int) -> int:
        """Idle slots between the first and last meeting of each day."""
        return sum(day_gaps(busy & dm) for dm in self.day_masks)

    def gaps_change(self, busy: int, s: int, add: bool = True) -> int:
        """gaps(busy with slot s added, or removed) - gaps(busy): only s's day can change,
        so only it is counted (compaction asks this hundreds of thousands of times)."""
        dm = self.slot_day[s]
        day = busy & dm
        after = day | (1 << s) if add else day & ~(1 << s)
        return day_gaps(after) - day_gaps(day)


def day_gaps(m: int) -> int:
    """Idle slots between the first and last set bit of one day's mask."""
    if not m:
        return 0
    return m.bit_length() - (m & -m).bit_length() + 1 - m.bit_count()


def build_problem(instance: Instance) -> Problem:
    ids = [p.id for p in instance.participants]
    index = {pid: i for i, pid in enumerate(ids)}
    n_slots = len(instance.slots)
    avail, cap, fixed = [], [], []
    for p in instance.participants:
        mask = 0
        for s in p.available_slots(n_slots):
            mask |= 1 << s
        avail.append(mask)
        c = mask.bit_count()
        cap.append(c if p.max_meetings is None else min(c, p.max_meetings))
        fixed.append(-1 if p.fixed_table is None or p.fixed_table >= instance.num_tables
                     else p.fixed_table)
    day_masks: dict[int, int] = {}
    for s in instance.slots:
        day_masks[s.day] = day_masks.get(s.day, 0) | (1 << s.id)
    prob = Problem(instance, ids, index, n_slots, avail, cap, fixed, instance.pool_tables(),
                   [day_masks[d] for d in sorted(day_masks)])
    prob.adj = [[] for _ in ids]
    prob.slot_day = [day_masks[s.day] for s in instance.slots]
    values: dict[tuple[str, str], int] = {}
    accepted: set[tuple[str, str]] = set()
    first: dict[tuple[str, str], str] = {}
    for r in instance.requests:
        if r.status != "declined" and r.frm != r.to:
            key = pair_key(r.frm, r.to)
            values[key] = values.get(key, 0) + rank_value(r)
            first[key] = min(first.get(key, r.created_at), r.created_at)
            if r.status == "accepted":
                accepted.add(key)
    for (a, b), w in sorted(instance.pair_weights().items()):
        if w <= 0 or a not in index or b not in index:
            continue
        u, v = sorted((index[a], index[b]))
        common = avail[u] & avail[v]
        # Two participants with fixed tables can use either table; otherwise a pool meeting
        # needs a pool table to exist at all.
        is_pool = fixed[u] < 0 and fixed[v] < 0
        if not common or (is_pool and not prob.pool) or cap[u] == 0 or cap[v] == 0:
            continue
        e = len(prob.eu)
        prob.eu.append(u)
        prob.ev.append(v)
        prob.ew.append(w)
        prob.erank.append(values[(a, b)])
        prob.eacc.append((a, b) in accepted)
        prob.efirst.append(first[(a, b)])
        prob.ecommon.append(common)
        prob.epool.append(is_pool)
        prob.edge_of[(u, v)] = e
        prob.adj[u].append(e)
        prob.adj[v].append(e)
    return prob

