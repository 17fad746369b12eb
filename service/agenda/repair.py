"""Greedy placement plus repair (the solver's guaranteed floor) and the coverage repair that
gives a first meeting to participants left without one."""
from __future__ import annotations

import time

from service.agenda.problem import Problem
from service.agenda.slots import SlotState


def by_value(prob: Problem, edges: list[int]) -> list[int]:
    """Accepted first, then priority (the rank value), then first come, first served."""
    return sorted(edges, key=lambda e: (-prob.erank[e], prob.efirst[e], e))


def fill(state: SlotState, edges: list[int], cap: list[int], depth: int = 1,
         deadline: float | None = None) -> int:
    """Place each unscheduled edge in turn where both sides still have capacity."""
    p, placed = state.p, 0
    for e in edges:
        if deadline is not None and time.monotonic() > deadline:
            break
        if state.eslot[e] >= 0:
            continue
        u, v = p.eu[e], p.ev[e]
        if state.deg[u] < cap[u] and state.deg[v] < cap[v]:
            state.log.clear()
            placed += state.try_place(e, depth=depth)
    state.log.clear()
    return placed


def cover(state: SlotState, cap: list[int], deadline: float | None = None) -> int:
    """Give a meeting to every participant who has none but a placeable request.

    First without displacing anyone; then by ejecting the least valuable meeting of a
    full partner whose other side keeps a meeting, never an accepted meeting for a
    pending one. Returns how many participants were covered.
    """
    p, covered = state.p, 0
    for x in range(p.n):
        if state.deg[x] or not p.adj[x] or cap[x] <= 0:
            continue
        if deadline is not None and time.monotonic() > deadline:
            break
        options = by_value(p, list(p.adj[x]))
        if any(_place_free(state, e, cap) for e in options) or any(
                _place_ejecting(state, e, x) for e in options):
            covered += 1
    state.log.clear()
    return covered


def promote(state: SlotState, cap: list[int], deadline: float | None = None) -> int:
    """Accepted first, always: place each accepted pair still out, dropping a pending-only
    meeting of one side (or of each full side) when that is what keeps it out."""
    p, placed = state.p, 0
    for e in by_value(p, [e for e in range(len(p.eu)) if p.eacc[e] and state.eslot[e] < 0]):
        if deadline is not None and time.monotonic() > deadline:
            break
        if state.eslot[e] >= 0:
            continue
        if _place_free(state, e, cap):
            placed += 1
            continue
        sides = []
        for x in (p.eu[e], p.ev[e]):
            pending = sorted({f for f in state.at[x].values() if not p.eacc[f] and f not in state.pinned},
                             key=lambda f: (p.erank[f], f))
            sides.append((x, pending))
        full = [(x, pend) for x, pend in sides if state.deg[x] >= cap[x]]
        if any(not pend for _x, pend in full):
            continue  # a full side holds only accepted meetings: e stays out
        if full:
            tries = [[pend[0] for _x, pend in full]] + ([[f] for f in full[0][1][1:4]] if len(full) == 1 else [])
        else:  # capacity is there, slots are not: free one slot of either side
            tries = [[f] for _x, pend in sides for f in pend[:3]]
        for victims in tries:
            state.log.clear()
            for f in victims:
                state.remove(f)
            if state.try_place(e, depth=2):
                placed += 1
                break
            state._undo(0)
    state.log.clear()
    return placed


def _other(p: Problem, e: int, x: int) -> int:
    return p.ev[e] if p.eu[e] == x else p.eu[e]


def _place_free(state: SlotState, e: int, cap: list[int]) -> bool:
    p = state.p
    if state.deg[p.eu[e]] >= cap[p.eu[e]] or state.deg[p.ev[e]] >= cap[p.ev[e]]:
        return False
    state.log.clear()
    return state.try_place(e, depth=2)


def _place_ejecting(state: SlotState, e: int, x: int) -> bool:
    p = state.p
    q = _other(p, e, x)
    victims = []
    for f in set(state.at[q].values()):
        if f in state.pinned or (p.eacc[f] and not p.eacc[e]):
            continue
        if state.deg[_other(p, f, q)] >= 2:  # the victim's other side keeps a meeting
            victims.append(f)
    for f in sorted(victims, key=lambda f: (p.erank[f], f))[:4]:
        state.log.clear()
        state.remove(f)
        if state.try_place(e, depth=2):
            state.log.clear()
            return True
        state._undo(0)
    state.log.clear()
    return False


def score(state: SlotState) -> int:
    """The solver's objective: rank values of placed meetings plus the coverage bonus."""
    p = state.p
    return sum(p.erank[e] for e, s in enumerate(state.eslot) if s >= 0) + p.covered_value(state.deg)
