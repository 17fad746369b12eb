"""Reference figures for tests and benchmarks: the exact optimum of small events (a full CP-SAT
model with slots) and proven upper bounds of the agenda weight."""
from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from service.agenda.model import Instance
from service.agenda.problem import Problem, bits, build_problem
from service.agenda.select import select_pairs

SCALE = 4


@dataclass
class ExactResult:
    slots: dict[int, int]  # edge -> slot
    weight: int
    bound: float  # proven upper bound of the objective (in weight points)
    optimal: bool


def solve_exact(prob: Problem, time_limit_s: float, pinned: dict[int, int] | None = None,
                hint: dict[int, int] | None = None, fairness_bonus: float = 0.0,
                keep: dict[int, tuple[int, float]] | None = None, workers: int = 2,
                pool_cap: list[int] | None = None) -> ExactResult | None:
    """Maximise schedule weight (+ optional fairness/keep bonuses) subject to every hard rule.

    Tables are implicit: a fixed-table participant meets at most once per slot, so only
    the shared pool has a per-slot capacity. `pinned` edges are forced to their slot;
    `keep` gives a bonus to an edge (half) and to keeping it at its previous slot (half).
    """
    pinned = pinned or {}
    pool_cap = pool_cap or [len(prob.pool)] * prob.n_slots
    m = cp_model.CpModel()
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    by_ps: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    pool_s: list[list[cp_model.IntVar]] = [[] for _ in range(prob.n_slots)]
    x = []
    for e in range(len(prob.eu)):
        slots = [pinned[e]] if e in pinned else bits(prob.ecommon[e])
        if prob.epool[e]:
            slots = [s for s in slots if pool_cap[s] > 0 or e in pinned]
        vs = []
        for s in slots:
            var = m.new_bool_var("")
            y[e, s] = var
            vs.append(var)
            by_ps.setdefault((prob.eu[e], s), []).append(var)
            by_ps.setdefault((prob.ev[e], s), []).append(var)
            if prob.epool[e]:
                pool_s[s].append(var)
        xe = m.new_bool_var("")
        m.add(sum(vs) == xe)
        if e in pinned:
            m.add(xe == 1)
        x.append(xe)
    for vs in by_ps.values():
        if len(vs) > 1:
            m.add_at_most_one(vs)
    for s, vs in enumerate(pool_s):
        if len(vs) > pool_cap[s]:
            m.add(sum(vs) <= pool_cap[s])
    for p, edges in enumerate(prob.adj):
        if len(edges) > prob.cap[p]:
            m.add(sum(x[e] for e in edges) <= prob.cap[p])
    terms = [SCALE * prob.ew[e] * x[e] for e in range(len(x))]
    bonus_units = round(fairness_bonus * SCALE)
    if bonus_units:
        for edges in prob.adj:
            if edges:
                cov = m.new_bool_var("")
                m.add_bool_or([x[e] for e in edges]).only_enforce_if(cov)
                terms.append(bonus_units * cov)
    for e, (s, b) in (keep or {}).items():
        terms.append(round(b * SCALE / 2) * x[e])
        if (e, s) in y:
            terms.append(round(b * SCALE / 2) * y[e, s])
    m.maximize(sum(terms))
    for e, s in (hint or {}).items():
        if (e, s) in y:
            m.add_hint(y[e, s], 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = {e: s for (e, s), var in y.items() if solver.boolean_value(var)}
    return ExactResult(chosen, sum(prob.ew[e] for e in chosen),
                       solver.best_objective_bound / SCALE, status == cp_model.OPTIMAL)


def exact_optimum(instance: Instance, time_limit_s: float = 60.0) -> ExactResult | None:
    """Optimal schedule weight of a (small) event, no fairness bonus."""
    return solve_exact(build_problem(instance), time_limit_s)


def weight_upper_bound(instance: Instance, time_limit_s: float = 60.0) -> float:
    """A proven upper bound on the schedule weight of any valid agenda.

    It is CP-SAT's bound on the pair-selection relaxation (degree caps, pool-table capacity
    summed over slots, pairs with no common slot removed): every valid agenda is feasible
    for that relaxation.
    """
    prob = build_problem(instance)
    return select_pairs(prob, values=prob.ew, coverage_bonus=0.0, time_limit_s=time_limit_s).bound


def rank_upper_bound(instance: Instance, time_limit_s: float = 60.0) -> float:
    """A proven upper bound on the solver's own objective (accepted first, then coverage,
    then pending weight), in rank units: what `meta["score"]` is measured against."""
    return select_pairs(build_problem(instance), time_limit_s=time_limit_s).bound
