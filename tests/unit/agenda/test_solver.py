"""The solver: always valid, optimal or near-optimal on small events."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.agenda.exact import exact_optimum, weight_upper_bound
from service.agenda.formats import load_instance
from service.agenda.generate import generate_instance
from service.agenda.greedy import greedy_schedule
from service.agenda.solver import solve
from service.agenda.stats import schedule_stats
from service.agenda.validate import validate_schedule

events = st.builds(
    generate_instance,
    participants=st.integers(2, 14), requests=st.integers(0, 40), slots=st.integers(1, 6),
    tables=st.integers(1, 5), seed=st.integers(0, 10_000), days=st.integers(1, 2),
    fixed_share=st.sampled_from([0.0, 0.2, 0.6]))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(inst=events, method=st.sampled_from(["exact", "heuristic"]))
def test_solver_output_is_always_valid(inst, method):
    sched = solve(inst, time_limit_s=5, method=method)
    assert validate_schedule(inst, sched) == []


@settings(max_examples=25, deadline=None, database=None)
@given(inst=events)
def test_greedy_baseline_is_valid(inst):
    assert validate_schedule(inst, greedy_schedule(inst)) == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("method", ["auto", "heuristic"])
def test_solver_reaches_optimum_on_small_events(seed, method):
    inst = generate_instance(40, 150, 12, 15, seed=seed)
    best = exact_optimum(inst, time_limit_s=20)
    assert best is not None and best.optimal
    sched = solve(inst, time_limit_s=10, method=method)
    assert validate_schedule(inst, sched) == []
    # the fairness bonus may trade a point of weight to give someone a first meeting
    assert sched.weight(inst) >= 0.995 * best.weight
    assert sched.weight(inst) >= greedy_schedule(inst).weight(inst)


def test_exact_respects_tiny_event(tiny_doc):
    inst = load_instance(tiny_doc)
    best = exact_optimum(inst)
    # A-B (4) + A-C (2) + B-C (2) + C-E (4) + A-D (2) or D-E (1): D has max 1 meeting
    assert best.weight == 14
    sched = solve(inst, fairness_bonus=0.0)
    assert validate_schedule(inst, sched) == [] and sched.weight(inst) == 14


def test_upper_bound_dominates_solution():
    inst = generate_instance(120, 700, 16, 40, seed=5)
    sched = solve(inst, time_limit_s=10, method="heuristic")
    assert validate_schedule(inst, sched) == []
    assert weight_upper_bound(inst, time_limit_s=5) >= sched.weight(inst)


def test_fairness_prefers_a_first_meeting():
    inst = generate_instance(60, 400, 8, 30, seed=11)
    fair = schedule_stats(inst, solve(inst, time_limit_s=10))
    plain = schedule_stats(inst, solve(inst, time_limit_s=10, fairness_bonus=0.0))
    assert fair["zero_meetings_with_requests"] <= plain["zero_meetings_with_requests"]
    assert fair["weight"] >= 0.99 * plain["weight"]


def test_progress_is_reported():
    seen = []
    inst = generate_instance(20, 60, 6, 8, seed=1)
    solve(inst, progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)
