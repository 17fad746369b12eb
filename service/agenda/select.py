"""Phase (a) of the solver: choose which pairs meet (max-weight degree-constrained subgraph)."""
from __future__ import annotations

from collections.abc import Iterable

from ortools.sat.python import cp_model

from service.agenda.problem import Problem

# Objective units: one weight point is worth SCALE; covering a participant who would
# otherwise have no meeting is worth `fairness_bonus` weight points.
SCALE = 4


def select_pairs(prob: Problem, time_limit_s: float, pinned: Iterable[int] = (),
                 keep_bonus: dict[int, float] | None = None, hint: Iterable[int] = (),
                 fairness_bonus: float = 0.75, workers: int = 2,
                 cap: list[int] | None = None) -> tuple[list[int], float]:
    """Return (chosen edge ids, proven upper bound on their total weight incl. pinned).

    Degree caps and the shared-pool capacity (pool tables x slots) are the constraints;
    slots are assigned later, so the result is a relaxation of the full problem.
    """
    cap = cap or prob.cap
    pinned = set(pinned)
    keep_bonus = keep_bonus or {}
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in prob.eu]
    for e in pinned:
        m.add(x[e] == 1)
    for p, edges in enumerate(prob.adj):
        if len(edges) > cap[p]:
            m.add(sum(x[e] for e in edges) <= cap[p])
    pool_edges = [x[e] for e in range(len(x)) if prob.epool[e]]
    if len(pool_edges) > len(prob.pool) * prob.n_slots:
        m.add(sum(pool_edges) <= len(prob.pool) * prob.n_slots)
    terms = [SCALE * prob.ew[e] * x[e] for e in range(len(x))]
    bonus_units = round(fairness_bonus * SCALE)
    if bonus_units:
        for edges in prob.adj:
            if edges:
                y = m.new_bool_var("")
                m.add_bool_or([x[e] for e in edges]).only_enforce_if(y)
                terms.append(bonus_units * y)
    for e, b in keep_bonus.items():
        terms.append(round(b * SCALE) * x[e])
    m.maximize(sum(terms))
    for e in hint:
        m.add_hint(x[e], 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit_s)
    solver.parameters.num_workers = workers
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return sorted(pinned), float("inf")
    chosen = [e for e in range(len(x)) if solver.boolean_value(x[e])]
    return chosen, solver.best_objective_bound / SCALE
