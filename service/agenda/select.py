"""Phase (a) of the solver: choose which pairs meet, a slot-free b-matching ILP (HiGHS).

The model ignores slots: degree caps per participant and the shared pool's total capacity
(pool tables x slots) are its only constraints, so its optimum bounds every valid agenda.
HiGHS solves it single-threaded and deterministically; `node_limit` is the work limit that
decides the result, the wall-clock `time_limit_s` only a safety net under extreme load.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from service.agenda.problem import COVERAGE_BONUS, Problem

NODE_LIMIT = 5_000


@dataclass
class Selection:
    chosen: list[int]  # edge ids
    bound: float  # proven upper bound of the objective (inf when unknown)
    optimal: bool


def select_pairs(prob: Problem, values: Sequence[float] | None = None,
                 cap: Sequence[int] | None = None, pinned: Iterable[int] = (),
                 keep_bonus: dict[int, float] | None = None,
                 coverage_bonus: float = COVERAGE_BONUS, node_limit: int = NODE_LIMIT,
                 time_limit_s: float = 60.0) -> Selection:
    """Maximise sum(values of chosen pairs) + coverage_bonus x participants with a pair.

    `values` defaults to the rank values (accepted first); pass `prob.ew` with no coverage
    bonus for the format's plain weight. Pinned edges are forced in.
    """
    values = prob.erank if values is None else values
    cap = prob.cap if cap is None else cap
    keep_bonus = keep_bonus or {}
    n_edges = len(prob.eu)
    if n_edges == 0:
        return Selection([], 0.0, True)
    covered = [p for p, edges in enumerate(prob.adj) if edges] if coverage_bonus else []
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    upper: list[float] = []

    def row(items: Iterable[tuple[int, float]], ub: float) -> None:
        r = len(upper)
        for col, v in items:
            rows.append(r)
            cols.append(col)
            vals.append(v)
        upper.append(ub)

    for p, edges in enumerate(prob.adj):
        if len(edges) > cap[p]:
            row(((e, 1.0) for e in edges), cap[p])
    by_common: dict[int, list[int]] = {}  # pool edges by their common slots: few distinct masks
    for e in range(n_edges):
        if prob.epool[e]:
            by_common.setdefault(prob.ecommon[e], []).append(e)
    for window in _windows(prob):
        # pool meetings that can only happen inside `window` share its tables
        inside = sorted(e for common, edges in by_common.items() if common & ~window == 0 for e in edges)
        if len(inside) > len(prob.pool) * window.bit_count():
            row(((e, 1.0) for e in inside), len(prob.pool) * window.bit_count())
    # y_p <= sum of p's edges: y_p is 1 only when p meets someone (continuous is enough:
    # with integral x the optimum puts y_p at min(1, degree))
    for k, p in enumerate(covered):
        row([(n_edges + k, 1.0), *((e, -1.0) for e in prob.adj[p])], 0.0)
    n_vars = n_edges + len(covered)
    cost = np.zeros(n_vars)
    for e in range(n_edges):
        cost[e] = -(values[e] + keep_bonus.get(e, 0.0))
    cost[n_edges:] = -coverage_bonus
    lower_x = np.zeros(n_vars)
    for e in pinned:
        lower_x[e] = 1.0
    integrality = np.zeros(n_vars)
    integrality[:n_edges] = 1
    constraints = []
    if upper:
        a = csr_matrix((vals, (rows, cols)), shape=(len(upper), n_vars))
        constraints.append(LinearConstraint(a, -np.inf, np.array(upper)))
    res = milp(cost, constraints=constraints, integrality=integrality,
               bounds=Bounds(lower_x, np.ones(n_vars)),
               options={"mip_rel_gap": 0.0, "node_limit": node_limit,
                        "time_limit": max(0.5, time_limit_s)})
    if res.x is None:
        return Selection(sorted(set(pinned)), float("inf"), False)
    chosen = [e for e in range(n_edges) if res.x[e] > 0.5]
    bound = getattr(res, "mip_dual_bound", None)
    return Selection(chosen, float("inf") if bound is None else -float(bound), res.status == 0)


def _windows(prob: Problem) -> list[int]:
    """Slot sets whose shared-pool capacity binds when availability is partial: the whole
    event, each day, and each day's prefixes and suffixes (late arrivals, early departures)."""
    full = (1 << prob.n_slots) - 1
    out = {full}
    for day in prob.day_masks:
        out.add(day)
        slots = [s for s in range(prob.n_slots) if day >> s & 1]
        for k in range(1, len(slots)):
            prefix = sum(1 << s for s in slots[:k])
            out.update((prefix, day & ~prefix))
    return sorted(out)
