"""Agenda solver: select pairs, colour them with slots, repair, compact, assign tables."""
from __future__ import annotations

import time
from collections.abc import Callable

from service.agenda.exact import compact_exact, solve_exact
from service.agenda.model import Instance, Meeting, Schedule
from service.agenda.problem import Problem, build_problem
from service.agenda.select import select_pairs
from service.agenda.slots import SlotState, total_gaps

Progress = Callable[[float, str], None]
# Above this many (pair, slot) variables the exact model is too slow to be worth trying.
EXACT_MAX_VARS = 40_000


def solve(instance: Instance, base: Schedule | None = None, time_limit_s: float = 100.0,
          progress: Progress | None = None, fairness_bonus: float = 0.75,
          keep_bonus: float = 0.5, workers: int = 2, method: str = "auto") -> Schedule:
    """Build a valid agenda maximising weight, then fairness, then few idle gaps.

    With `base`, its confirmed meetings between remaining participants stay on the same
    slot and table (rule 11); unconfirmed ones are kept when still possible.
    method: "auto" (exact CP-SAT model on small events), "exact" or "heuristic".
    """
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    report = progress or (lambda _f, _m: None)
    prob = build_problem(instance)
    report(0.02, f"{prob.n} participants, {len(prob.eu)} candidate pairs")
    pinned, dropped, prev = _from_base(prob, base)
    state = SlotState(prob, [len(prob.pool)] * prob.n_slots)
    for e, (s, _t) in pinned.items():
        state.place(e, s)
    state.pinned = set(pinned)
    cap = [max(0, c) for c in prob.cap]
    keep = {e: keep_bonus for e in prev if e not in pinned}
    meta: dict[str, object] = {"solver": "maillon-agenda/1", "pairs": len(prob.eu)}

    n_vars = sum(c.bit_count() for c in prob.ecommon)
    done = False
    if method == "exact" or (method == "auto" and n_vars <= EXACT_MAX_VARS):
        res = solve_exact(prob, min(0.5 * time_limit_s, 30.0),
                          pinned={e: s for e, (s, _t) in pinned.items()},
                          hint={e: s for e, (s, _t) in prev.items()},
                          fairness_bonus=fairness_bonus, workers=workers,
                          keep={e: (prev[e][0], keep_bonus) for e in keep})
        if res is not None:
            gap_time = min(0.03 * time_limit_s, 3.0)
            if gap_time >= 0.3:  # worth a CP-SAT call only with a little time to spend
                fixed = set(pinned) | {e for e, (s, _t) in prev.items()
                                       if res.slots.get(e) == s}
                res.slots = compact_exact(prob, res.slots, fixed, gap_time, workers=workers)
            for e, s in sorted(res.slots.items()):
                if e not in pinned:
                    state.place(e, s)
            meta.update(method="exact", optimal=res.optimal, bound=res.bound)
            done = True
    if not done:
        sel_time = min(0.3 * time_limit_s, 40.0)
        report(0.05, f"selecting pairs (≤ {sel_time:.0f} s)")
        chosen, bound = select_pairs(prob, sel_time, pinned=pinned, keep_bonus=keep,
                                     fairness_bonus=fairness_bonus, workers=workers, cap=cap,
                                     hint=prev)
        meta.update(method="select+colour", selection_bound=bound)
        report(0.4, f"{len(chosen)} pairs chosen, assigning slots")
        _colour(state, prob, [e for e in chosen if e not in pinned], prev, deadline)
        report(0.7, "filling free capacity")
        _fill(state, prob, cap, deadline)
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
    meta.update(time_s=round(time.monotonic() - t0, 3), idle_gaps=total_gaps(state),
                confirmed_unplaceable=dropped)
    report(1.0, f"{len(meetings)} meetings")
    return Schedule(instance=instance.name, meetings=meetings, meta=meta)


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
    """Greedy list edge-colouring, tightest pairs first, then ejection-chain repair."""
    failed = []
    for e in chosen:  # previous slot first, to minimise change
        if e in prev and state.free_slots(e) >> prev[e][0] & 1:
            state.place(e, prev[e][0])
    rest = [e for e in chosen if state.eslot[e] < 0]
    load = [0] * prob.n
    for e in rest:
        load[prob.eu[e]] += 1
        load[prob.ev[e]] += 1

    def tightness(e: int) -> tuple[int, int]:
        u, v = prob.eu[e], prob.ev[e]
        slack = prob.ecommon[e].bit_count() - max(load[u], load[v])
        return slack, prob.ecommon[e].bit_count()

    for e in sorted(rest, key=tightness):
        s = state.best_slot(e)
        if s >= 0:
            state.place(e, s)
        else:
            failed.append(e)
    for e in failed:
        if time.monotonic() > deadline:
            break
        state.log.clear()
        state.try_place(e, depth=2)


def _fill(state: SlotState, prob: Problem, cap: list[int], deadline: float) -> None:
    """Add unscheduled pairs where both sides still have capacity, best weight first."""
    order = sorted((e for e in range(len(prob.eu)) if state.eslot[e] < 0),
                   key=lambda e: (-(prob.ew[e] + 0.75 * ((state.deg[prob.eu[e]] == 0)
                                                         + (state.deg[prob.ev[e]] == 0))), e))
    for e in order:
        if time.monotonic() > deadline:
            break
        if state.deg[prob.eu[e]] < cap[prob.eu[e]] and state.deg[prob.ev[e]] < cap[prob.ev[e]]:
            state.log.clear()
            state.try_place(e, depth=1)


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
