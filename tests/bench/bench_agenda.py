"""Agenda benchmark: solver vs exact optimum / upper bound vs greedy, plus an incremental run.

    python tests/bench/bench_agenda.py --sizes small,medium,large,huge
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from service.agenda.delta import apply_delta
from service.agenda.solver import solve
from service.agenda.stats import schedule_stats
from service.agenda.validate import validate_schedule
from tests.support.agenda_baseline import greedy_schedule
from tests.support.agenda_exact import exact_optimum, weight_upper_bound
from tests.support.agenda_generate import BENCH_SIZES, generate_delta, generate_instance

EXACT_SIZES = ("small", "medium")


def bench_size(size: str, seed: int = 1, time_limit_s: float = 110.0,
               bound_time_s: float = 60.0) -> dict[str, Any]:
    """One row: solver figures against the exact optimum (small sizes) or an upper bound."""
    inst = generate_instance(*BENCH_SIZES[size], seed=seed)
    t0 = time.monotonic()
    sched = solve(inst, time_limit_s=time_limit_s)
    elapsed = time.monotonic() - t0
    st = schedule_stats(inst, sched)
    if size in EXACT_SIZES:
        res = exact_optimum(inst, time_limit_s=bound_time_s)
        ref = float(res.weight if res and res.optimal else (res.bound if res else 0))
        ref_kind = "optimum" if res and res.optimal else "bound"
    else:
        ref, ref_kind = weight_upper_bound(inst, time_limit_s=bound_time_s), "bound"
    greedy = greedy_schedule(inst)
    gst = schedule_stats(inst, greedy)
    return {
        "size": size, "participants": len(inst.participants), "requests": len(inst.requests),
        "slots": len(inst.slots), "tables": inst.num_tables, "meetings": st["meetings"],
        "weight": st["weight"], "reference": round(ref, 1), "reference_kind": ref_kind,
        "share": round(st["weight"] / ref, 4) if ref else 1.0, "time_s": round(elapsed, 1),
        "violations": len(validate_schedule(inst, sched)),
        "zero_meetings": st["zero_meetings"],
        "zero_avoidable": st["zero_meetings_with_requests"],
        "idle_gaps": st["idle_gaps"], "idle_gaps_mean": st["idle_gaps_mean"],
        "meetings_min_med_max": (st["meetings_min"], st["meetings_median"], st["meetings_max"]),
        "greedy_weight": gst["weight"],
        "greedy_share": round(gst["weight"] / ref, 4) if ref else 1.0,
        "greedy_idle_gaps": gst["idle_gaps"], "greedy_zero_avoidable": gst[
            "zero_meetings_with_requests"],
    }


def bench_delta(size: str = "medium", seed: int = 1, time_limit_s: float = 110.0
                ) -> dict[str, Any]:
    """Solve, confirm 2/3 of the meetings, apply late changes, re-solve incrementally."""
    inst = generate_instance(*BENCH_SIZES[size], seed=seed)
    base = solve(inst, time_limit_s=time_limit_s)
    base = dataclasses.replace(base, meetings=[
        dataclasses.replace(m, confirmed=i % 3 != 0) for i, m in enumerate(base.meetings)])
    delta = generate_delta(inst, base, seed=seed)
    updated = apply_delta(inst, delta)
    t0 = time.monotonic()
    after = solve(updated, base=base, time_limit_s=time_limit_s)
    elapsed = time.monotonic() - t0
    found = validate_schedule(updated, after, base=base)
    gone = set(delta.cancel_participants)
    now = {(m.pair, m.slot, m.table) for m in after.meetings}
    unconf = [m for m in base.meetings if not m.confirmed and {m.a, m.b}.isdisjoint(gone)]
    return {
        "size": size, "cancelled": len(delta.cancel_participants),
        "added": len(delta.add_participants), "new_requests": len(delta.add_requests),
        "declines": len(delta.update_requests or []), "time_s": round(elapsed, 1),
        "base_weight": base.weight(inst), "weight": after.weight(updated),
        "confirmed_moved": sum(v.code == "confirmed_moved" for v in found),
        "confirmed_dropped": sum(v.code == "confirmed_dropped" for v in found),
        "other_violations": sum(v.rule != 11 for v in found),
        "unconfirmed_kept_share": round(
            sum((m.pair, m.slot, m.table) in now for m in unconf) / len(unconf), 3)
        if unconf else 1.0,
    }


def run_bench(sizes: Iterable[str] = tuple(BENCH_SIZES), seed: int = 1,
              time_limit_s: float = 110.0, bound_time_s: float = 60.0,
              delta_size: str | None = "medium") -> list[dict[str, Any]]:
    """Rows for the bench report runner (one per size, then the delta row if asked)."""
    rows = [bench_size(s, seed, time_limit_s, bound_time_s) for s in sizes]
    if delta_size:
        rows.append({"delta": bench_delta(delta_size, seed, time_limit_s)})
    return rows


def to_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| size | P/R/slots/tables | meetings | weight | ref | share | time s | "
             "zero (avoidable) | idle gaps (mean) | min/med/max | greedy weight | greedy share "
             "| invalid |", "|" + "---|" * 13]
    out_delta = []
    for r in rows:
        if "delta" in r:
            d = r["delta"]
            out_delta = [
                "", "| delta on | cancelled | added | new req | declines | time s | weight "
                "before → after | confirmed moved | confirmed dropped | other violations "
                "| unconfirmed kept |", "|" + "---|" * 11,
                f"| {d['size']} | {d['cancelled']} | {d['added']} | {d['new_requests']} | "
                f"{d['declines']} | {d['time_s']} | {d['base_weight']} → {d['weight']} | "
                f"{d['confirmed_moved']} | {d['confirmed_dropped']} | {d['other_violations']} "
                f"| {d['unconfirmed_kept_share']:.1%} |"]
            continue
        lines.append(
            f"| {r['size']} | {r['participants']}/{r['requests']}/{r['slots']}/{r['tables']} | "
            f"{r['meetings']} | {r['weight']} | {r['reference']} ({r['reference_kind']}) | "
            f"{r['share']:.2%} | {r['time_s']} | {r['zero_meetings']} ({r['zero_avoidable']}) | "
            f"{r['idle_gaps']} ({r['idle_gaps_mean']}) | "
            f"{'/'.join(str(x) for x in r['meetings_min_med_max'])} | {r['greedy_weight']} | "
            f"{r['greedy_share']:.2%} | {r['violations']} |")
    return "\n".join(lines + out_delta)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default=",".join(BENCH_SIZES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=110.0)
    ap.add_argument("--bound-time", type=float, default=60.0)
    ap.add_argument("--delta-size", default="medium", help="'' to skip the delta run")
    a = ap.parse_args()
    rows = run_bench(a.sizes.split(","), a.seed, a.time_limit, a.bound_time,
                     a.delta_size or None)
    print(to_markdown(rows))


if __name__ == "__main__":
    main()
