"""Baseline agenda: first-come-first-served by request date, first free slot and table."""
from __future__ import annotations

from service.agenda.model import Instance, Meeting, Schedule
from service.agenda.problem import bits, build_problem


def greedy_schedule(instance: Instance) -> Schedule:
    """What a naive tool does: walk requests by created_at, book the first free slot."""
    prob = build_problem(instance)
    state_busy = [0] * prob.n
    deg = [0] * prob.n
    pool_free = [list(prob.pool) for _ in range(prob.n_slots)]
    done: set[int] = set()
    meetings = []
    for r in sorted(instance.requests, key=lambda r: r.created_at):
        if r.status == "declined":
            continue
        e = prob.edge(r.frm, r.to)
        if e is None or e in done:
            continue
        u, v = prob.eu[e], prob.ev[e]
        if deg[u] >= prob.cap[u] or deg[v] >= prob.cap[v]:
            continue
        fixed = prob.table_for(e)
        for s in bits(prob.ecommon[e] & ~state_busy[u] & ~state_busy[v]):
            if fixed is None and not pool_free[s]:
                continue
            table = fixed if fixed is not None else pool_free[s].pop(0)
            state_busy[u] |= 1 << s
            state_busy[v] |= 1 << s
            deg[u] += 1
            deg[v] += 1
            done.add(e)
            meetings.append(Meeting(prob.ids[u], prob.ids[v], s, table))
            break
    return Schedule(instance=instance.name, meetings=meetings, meta={"solver": "greedy-fcfs"})
