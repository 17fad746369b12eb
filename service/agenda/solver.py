"""Agenda solver, a decomposition: choose the pairs (slot-free b-matching ILP), fit them into
slots most-constrained-first, fill, repair coverage, compact idle gaps, assign tables.

The result is deterministic: the ILP runs under a work limit (nodes), the heuristics under
pass limits. Wall-clock limits are only safety nets for an overloaded machine; whatever
happens, the agenda is never worse than the greedy-plus-repair floor computed alongside.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

from service.agenda.model import Instance, Meeting, Schedule
from service.agenda.problem import Problem, build_problem
from service.agenda.repair import by_value, cover, fill, promote, score
from service.agenda.select import NODE_LIMIT, select_pairs
from service.agenda.slots import SlotState, total_gaps

Progress = Callable[[float, str], None]
METHODS = ("auto", "floor")


def solve(instance: Instance, base: Schedule | None = None, time_limit_s: float = 100.0,
          progress: Progress | None = None, keep_bonus: float = 0.5,
          node_limit: int = NODE_LIMIT, method: str = "auto") -> Schedule:
    """Build a valid agenda: accepted requests first, then coverage, then pending ones,
    then few idle gaps.

    With `base`, its confirmed meetings between remaining participants stay on the same
    slot and table (rule 11); unconfirmed ones are kept when still possible.
    method: "auto" (decomposition, never below the floor) or "floor" (greedy + repair only).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    report = progress or (lambda _f, _m: None)
    prob = build_problem(instance)
    report(0.02, f"{prob.n} participants, {len(prob.eu)} candidate pairs")
    pinned, dropped, prev = _from_base(prob, base)
    cap = [max(0, c) for c in prob.cap]
    keep = {e: keep_bonus for e in prev if e not in pinned}
    meta: dict[str, object] = {"solver": "maillon-agenda/2", "pairs": len(prob.eu)}

    fitted = None
    if method == "auto":
        report(0.05, "selecting pairs")
        sel = select_pairs(prob, cap=cap, pinned=pinned, keep_bonus=keep, node_limit=node_limit,
                           time_limit_s=max(1.0, 0.4 * time_limit_s))
        report(0.3, f"{len(sel.chosen)} pairs chosen, fitting them into slots")
        fitted = _fresh(prob, pinned)
        _colour(fitted, prob, [e for e in sel.chosen if e not in pinned], prev, deadline)
        report(0.5, "filling free capacity")
        fill(fitted, by_value(prob, list(range(len(prob.eu)))), cap, deadline=deadline)
        promote(fitted, cap, deadline=deadline)
        fill(fitted, by_value(prob, list(range(len(prob.eu)))), cap, deadline=deadline)
        cover(fitted, cap, deadline=deadline)
        bound = sel.bound if math.isfinite(sel.bound) else None
        meta.update(bound=bound, selection_optimal=sel.optimal)
    # The floor has no deadline: whatever the load did to the steps above, the agenda is
    # never worse than greedy placement plus repair.
    report(0.7, "greedy floor")
    floor = _fresh(prob, pinned)
    _keep_previous(floor, prev)
    fill(floor, by_value(prob, list(range(len(prob.eu)))), cap)
    promote(floor, cap)
    fill(floor, by_value(prob, list(range(len(prob.eu)))), cap)
    cover(floor, cap)
    state, floor_score = floor, score(floor)
    meta.update(method="floor", floor_score=floor_score)
    if fitted is not None and score(fitted) >= floor_score:
        state = fitted
        meta.update(method="select+fit")
    report(0.8, "compacting days")
    state.log.clear()
    # unconfirmed base meetings left where they were stay there (fewer changes)
    state.stay = {e for e, (s, _t) in prev.items() if state.eslot[e] == s}
    for _ in range(10):  # alternate single moves and swaps while they help
        end = deadline - 0.02 * time_limit_s
        moved = state.compact(end) + state.swap_pass(end)
        if not moved or time.monotonic() > end:
            break
    meetings = _tables(state, prob, pinned, prev)
    if method == "auto" and time.monotonic() < deadline - 0.5 * time_limit_s:
        meta.update(coverage_cost=_coverage_cost(prob, cap, pinned, keep, sel.chosen, node_limit,
                                                 deadline - time.monotonic()))
    meta.update(time_s=round(time.monotonic() - t0, 3), idle_gaps=total_gaps(state),
                score=score(state), confirmed_unplaceable=dropped,
                left_out=[prob.ids[p] for p in range(prob.n) if prob.adj[p] and not state.deg[p]])
    report(1.0, f"{len(meetings)} meetings")
    return Schedule(instance=instance.name, meetings=meetings, meta=meta)


def _coverage_cost(prob: Problem, cap: list[int], pinned: dict[int, tuple[int, int]],
                   keep: dict[int, float], chosen: list[int], node_limit: int, time_left: float
                   ) -> dict[str, int]:
    """What giving everyone a first meeting costs, on the slot-free selection: the best
    selection without the coverage bonus against the one chosen. Only a report: it runs
    after the agenda is built, when time is left."""
    plain = select_pairs(prob, cap=cap, pinned=pinned, keep_bonus=keep, coverage_bonus=0.0,
                         node_limit=node_limit, time_limit_s=max(1.0, 0.5 * time_left))
    return {"rank": sum(prob.erank[e] for e in plain.chosen) - sum(prob.erank[e] for e in chosen),
            "weight": sum(prob.ew[e] for e in plain.chosen) - sum(prob.ew[e] for e in chosen)}


def _fresh(prob: Problem, pinned: dict[int, tuple[int, int]]) -> SlotState:
    state = SlotState(prob, [len(prob.pool)] * prob.n_slots)
    for e, (s, _t) in pinned.items():
        state.place(e, s)
    state.pinned = set(pinned)
    state.log.clear()
    return state


def _keep_previous(state: SlotState, prev: dict[int, tuple[int, int]]) -> None:
    """Unconfirmed base meetings go back to their slot first when it is still free."""
    for e, (s, _t) in sorted(prev.items()):
        if state.free_slots(e) >> s & 1:
            state.place(e, s)
    state.log.clear()


def _from_base(prob: Problem, base: Schedule | None
               ) -> tuple[dict[int, tuple[int, int]], list[dict], dict[int, tuple[int, int]]]:
    """Split base meetings into pinned (confirmed, still valid) and previous (unconfirmed)."""
    pinned: dict[int, tuple[int, int]] = {}
    prev: dict[int, tuple[int, int]] = {}
    dropped: list[dict] = []
    if base is None:
        return pinned, dropped, prev
    owner = {t: i for i, t in enumerate(prob.fixed) if t >= 0}
    busy: set[tuple[int, int]] = set()
    tables: set[tuple[int, int]] = set()
    deg = [0] * prob.n
    for m in base.meetings:
        if m.confirmed and (m.a not in prob.index or m.b not in prob.index):
            continue  # involves a cancelled participant: rule 11 does not apply
        e = prob.edge(m.a, m.b)
        ok = e is not None and 0 <= m.slot < prob.n_slots and 0 <= m.table < (
            prob.instance.num_tables) and prob.ecommon[e] >> m.slot & 1
        if ok:
            u, v = prob.eu[e], prob.ev[e]
            want = {prob.fixed[u], prob.fixed[v]} - {-1}
            ok = ((m.table in want) if want else m.table not in owner) and not (
                {(u, m.slot), (v, m.slot)} & busy or (m.slot, m.table) in tables
                or e in pinned or e in prev)
            if ok and m.confirmed:
                ok = deg[u] < prob.cap[u] and deg[v] < prob.cap[v]
        if not ok:
            if m.confirmed:
                dropped.append({"a": m.a, "b": m.b, "slot": m.slot, "table": m.table})
            continue
        if m.confirmed:
            pinned[e] = (m.slot, m.table)
            busy |= {(u, m.slot), (v, m.slot)}
            tables.add((m.slot, m.table))
            deg[u] += 1
            deg[v] += 1
        else:
            prev[e] = (m.slot, m.table)
    return pinned, dropped, prev


def _colour(state: SlotState, prob: Problem, chosen: list[int],
            prev: dict[int, tuple[int, int]], deadline: float) -> None:
    """Greedy list edge-colouring, most constrained pairs first, then ejection-chain repair."""
    _keep_previous(state, {e: prev[e] for e in chosen if e in prev})
    rest = [e for e in chosen if state.eslot[e] < 0]
    load = [0] * prob.n
    for e in rest:
        load[prob.eu[e]] += 1
        load[prob.ev[e]] += 1

    def tightness(e: int) -> tuple[int, int, int, int]:
        u, v = prob.eu[e], prob.ev[e]
        common = prob.ecommon[e].bit_count()
        return common - max(load[u], load[v]), common, -prob.erank[e], e

    failed = []
    for e in sorted(rest, key=tightness):
        s = state.best_slot(e)
        if s >= 0:
            state.place(e, s)
        else:
            failed.append(e)
    for e in by_value(prob, failed):
        if time.monotonic() > deadline:
            break
        state.log.clear()
        state.try_place(e, depth=2)
    state.log.clear()


def _tables(state: SlotState, prob: Problem, pinned: dict[int, tuple[int, int]],
            prev: dict[int, tuple[int, int]]) -> list[Meeting]:
    """Fixed-table meetings go to the owner's table; others to free shared-pool tables."""
    used: set[tuple[int, int]] = {(s, t) for s, t in pinned.values()}
    table: dict[int, int] = {e: t for e, (_s, t) in pinned.items()}
    pool_tables = set(prob.pool)
    placed = [e for e, s in enumerate(state.eslot) if s >= 0 and e not in pinned]
    for e in placed:
        fixed = prob.table_for(e)
        if fixed is not None:
            table[e] = fixed
            used.add((state.eslot[e], fixed))
    # unconfirmed base meetings keep their table when it is still free
    for e in placed:
        s = state.eslot[e]
        if e in table or e not in prev or prev[e][0] != s:
            continue
        t = prev[e][1]
        if t in pool_tables and (s, t) not in used:
            table[e] = t
            used.add((s, t))
    free = {s: iter([t for t in prob.pool if (s, t) not in used]) for s in range(prob.n_slots)}
    out = []
    for e in sorted(set(placed) | set(pinned), key=lambda e: (state.eslot[e], e)):
        s = state.eslot[e]
        if e not in table:
            table[e] = next(free[s])
        out.append(Meeting(prob.ids[prob.eu[e]], prob.ids[prob.ev[e]], s, table[e], True))
    return out
