"""Phases (b)-(c) of the solver: give chosen pairs a slot (list edge-colouring), repair, compact."""
from __future__ import annotations

import time

from service.agenda.problem import Problem, bits


class SlotState:
    """Mutable assignment of meetings (edges) to slots with per-slot pool-table capacity."""

    def __init__(self, prob: Problem, pool_cap: list[int]) -> None:
        self.p = prob
        self.busy = [0] * prob.n
        self.at: list[dict[int, int]] = [{} for _ in range(prob.n)]  # participant -> slot -> edge
        self.eslot = [-1] * len(prob.eu)
        self.pool_cap = list(pool_cap)
        self.pool_mask = self._pool_mask()
        self.deg = [0] * prob.n
        self.g = [0] * prob.n  # idle gaps per participant, kept up to date by place/remove
        self.pinned: set[int] = set()
        self.stay: set[int] = set()  # compaction leaves these alone
        # journal of (placed?, edge, slot) so a failed repair can be rolled back
        self.log: list[tuple[int, int, int]] = []

    def _pool_mask(self) -> int:
        return sum(1 << s for s, c in enumerate(self.pool_cap) if c > 0)

    def free_slots(self, e: int) -> int:
        p, u, v = self.p, self.p.eu[e], self.p.ev[e]
        mask = p.ecommon[e] & ~self.busy[u] & ~self.busy[v]
        return mask & self.pool_mask if p.epool[e] else mask

    def place(self, e: int, s: int, record: bool = True) -> None:
        if record:
            self.log.append((1, e, s))
        u, v = self.p.eu[e], self.p.ev[e]
        bit = 1 << s
        self.g[u] += self.p.gaps_change(self.busy[u], s)
        self.g[v] += self.p.gaps_change(self.busy[v], s)
        self.busy[u] |= bit
        self.busy[v] |= bit
        self.at[u][s] = e
        self.at[v][s] = e
        self.eslot[e] = s
        self.deg[u] += 1
        self.deg[v] += 1
        if self.p.epool[e]:
            self.pool_cap[s] -= 1
            if self.pool_cap[s] == 0:
                self.pool_mask &= ~bit

    def remove(self, e: int, record: bool = True) -> int:
        s = self.eslot[e]
        if record:
            self.log.append((0, e, s))
        u, v = self.p.eu[e], self.p.ev[e]
        bit = 1 << s
        self.g[u] += self.p.gaps_change(self.busy[u], s, add=False)
        self.g[v] += self.p.gaps_change(self.busy[v], s, add=False)
        self.busy[u] &= ~bit
        self.busy[v] &= ~bit
        del self.at[u][s]
        del self.at[v][s]
        self.eslot[e] = -1
        self.deg[u] -= 1
        self.deg[v] -= 1
        if self.p.epool[e]:
            self.pool_cap[s] += 1
            self.pool_mask |= bit
        return s

    def delta_gaps(self, e: int, s: int) -> float:
        """Change of idle gaps (both participants) if e were placed at s; lower is better."""
        p, bit = self.p, 1 << s
        cost = 0.0
        for q in (p.eu[e], p.ev[e]):
            b = self.busy[q]
            cost += p.gaps_change(b, s)
            if not b & ((bit << 1) | (bit >> 1)):
                cost += 0.25  # prefer extending an existing block
        return cost

    def best_slot(self, e: int, mask: int | None = None) -> int:
        mask = self.free_slots(e) if mask is None else mask
        best, best_cost = -1, float("inf")
        for s in bits(mask):
            c = self.delta_gaps(e, s) + s * 1e-4  # earliest among equals
            if c < best_cost:
                best, best_cost = s, c
        return best

    # -------------------------------------------------------------- repair

    def _undo(self, mark: int) -> None:
        while len(self.log) > mark:
            op, e, s = self.log.pop()
            if op:  # undo a place
                self.remove(e, record=False)
            else:
                self.place(e, s, record=False)

    def try_place(self, e: int, depth: int = 2) -> bool:
        """Place e, displacing movable meetings (ejection chain of bounded depth)."""
        s = self.best_slot(e)
        if s >= 0:
            self.place(e, s)
            return True
        if depth <= 0:
            return False
        u, v = self.p.eu[e], self.p.ev[e]
        cands = []
        for s in bits(self.p.ecommon[e]):
            blockers = {self.at[u].get(s), self.at[v].get(s)} - {None}
            if any(b in self.pinned for b in blockers):
                continue
            if self.p.epool[e] and self.pool_cap[s] <= 0 and not any(
                    self.p.epool[b] for b in blockers):
                continue
            cands.append((len(blockers), s, sorted(blockers)))
        cands.sort()
        for _, s, blockers in cands[:10]:
            mark = len(self.log)
            for b in blockers:
                self.remove(b)
            if not self.free_slots(e) >> s & 1:
                self._undo(mark)
                continue
            self.place(e, s)
            self.pinned.add(e)  # the displaced meetings may not push e out again
            ok = all(self.try_place(b, depth - 1) for b in blockers)
            self.pinned.discard(e)
            if ok:
                return True
            self._undo(mark)
        return False

    # -------------------------------------------------------------- compaction

    def compact(self, deadline: float, max_passes: int = 20) -> int:
        """Move meetings to slots that reduce idle gaps until no move helps."""
        moves = 0
        for _ in range(max_passes):
            improved = 0
            for e, s in enumerate(self.eslot):
                if s < 0 or e in self.pinned or e in self.stay:
                    continue
                if time.monotonic() > deadline:
                    return moves
                u, v = self.p.eu[e], self.p.ev[e]
                before = self.g[u] + self.g[v]
                if before == 0:
                    continue
                self.remove(e)
                best, best_gain = s, 0
                left = self.g[u] + self.g[v]  # without e
                for t in bits(self.free_slots(e) & self._useful(u, v)):
                    after = (left + self.p.gaps_change(self.busy[u], t)
                             + self.p.gaps_change(self.busy[v], t))
                    if before - after > best_gain:
                        best, best_gain = t, before - after
                        if best_gain == before:  # no idle slot left for either: cannot do better
                            break
                self.place(e, best)
                if best != s:
                    improved += 1
            moves += improved
            self.log.clear()
            if not improved:
                break
        return moves


    def _useful(self, u: int, v: int) -> int:
        """Slots where a meeting of u and v can reduce idle gaps: holes and block ends of
        either, and days where neither meets yet."""
        out = 0
        for dm in self.p.day_masks:
            both = (self.busy[u] | self.busy[v]) & dm
            if not both:
                out |= dm
                continue
            for q in (u, v):
                m = self.busy[q] & dm
                if m:
                    lo, hi = (m & -m).bit_length() - 1, m.bit_length() - 1
                    span = ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1)
                    out |= (span & ~m) | ((1 << max(lo - 1, 0)) | (1 << (hi + 1))) & dm
        return out

    def swap_pass(self, deadline: float) -> int:
        """Swap two meetings sharing a participant x: (x,u)@s <-> (x,w)@t.

        x's day is unchanged; u and w each move one slot, which a single move cannot do
        when the target slot is taken.
        """
        p, swaps = self.p, 0
        for e in range(len(self.eslot)):
            s = self.eslot[e]
            if s < 0 or e in self.pinned or e in self.stay:
                continue
            if time.monotonic() > deadline:
                break
            for x, u in ((p.eu[e], p.ev[e]), (p.ev[e], p.eu[e])):
                if self.g[u] == 0:
                    continue
                if self._best_swap(e, s, x, u):
                    swaps += 1
                    break
        self.log.clear()
        return swaps

    def _best_swap(self, e: int, s: int, x: int, u: int) -> bool:
        p = self.p
        base_u = self.g[u]
        # candidate slots t: u free, e allowed there, x busy at t with a movable meeting f
        for t in bits(p.ecommon[e] & ~self.busy[u] & self.busy[x]):
            f = self.at[x][t]
            if f in self.pinned or f in self.stay:
                continue
            w = p.ev[f] if p.eu[f] == x else p.eu[f]
            if self.busy[w] >> s & 1 or not p.ecommon[f] >> s & 1:
                continue
            if p.epool[e] != p.epool[f]:
                need_t, need_s = (t, s) if p.epool[e] else (s, t)
                if self.pool_cap[need_t] <= 0:
                    continue
            bs, bt = 1 << s, 1 << t
            gain = (base_u - p.gaps((self.busy[u] & ~bs) | bt)
                    + self.g[w] - p.gaps((self.busy[w] & ~bt) | bs))
            if gain > 0:
                self.remove(e)
                self.remove(f)
                self.place(e, t)
                self.place(f, s)
                return True
        return False


def total_gaps(state: SlotState) -> int:
    return sum(state.g)
