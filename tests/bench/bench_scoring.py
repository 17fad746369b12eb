"""Candidate scoring CPU time (issue #14 point 9, issue #11 point 10): `Matcher.find` in-process on
the demo store (what `maillon demo` ingests, built once under $MAILLON_BENCH_CACHE by bench_web),
for the searches behind the cluster manager's pages and a member's suggestions, plus a free-text
need: median and p90 per find (wall clock, and the process's CPU time, which a loaded machine
disturbs less), and optionally a cProfile of each.

    python -m tests.bench.bench_scoring [--calls 20] [--profile] [--top 25] [--json out.json]

`--json` also stores each search's ranked ids, scores, criteria tables, pairs and sentences, so
two runs (before and after a change) can be compared for identical results."""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

from tests.bench.common import get_embedder, ms, pct

FREE_TEXT = "anodisation de pièces en aluminium"  # the demo's advertised free-text query


def searches() -> dict[str, Any]:
    """The requests the cluster pages and a member's suggestions send (service/web/views/cluster.py,
    service/overview.py, service/matching/service.py::event_suggestions)."""
    from service.matching.filters import MatchRequest
    from service.web.demo import DEMO_CLUSTER, DEMO_SME

    cluster = {"seeker_kind": "clusters", "seeker_id": DEMO_CLUSTER, "foreign_only": True,
               "audience": "members", "seeker_owned": True}
    return {
        "cluster→clusters": MatchRequest(target="clusters", limit=25, **cluster),
        "cluster→members": MatchRequest(target="members", limit=30, **cluster),
        "member→members": MatchRequest(target="members", seeker_kind="members", seeker_id=DEMO_SME, limit=10,
                                       audience="members", seeker_owned=True),
        "free text→members": MatchRequest(target="members", text=FREE_TEXT, limit=10, audience="members"),
    }


def run(calls: int, profile: bool, top: int) -> dict[str, Any]:
    from service.container import build_services
    from service.settings import load_settings
    from tests.bench.bench_web import demo_store

    embedder = get_embedder()
    data_dir = demo_store(embedder)
    services = build_services(load_settings({"data_dir": data_dir, "model_name": embedder.name}), embedder=embedder)
    from service.matching.matcher import Matcher

    out: dict[str, Any] = {}
    def matcher() -> Matcher:  # one per request, as MatchService is built per request
        return Matcher(services.index, services.embedder, services.domain, services.gap_vectors)

    for name, req in searches().items():
        page = matcher().find(req)  # warm: model, vocabulary, gap vectors, per-process caches
        times, cpu = [], []
        for _ in range(calls):
            t0, c0 = time.perf_counter(), time.process_time()
            matcher().find(req)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[name] = {"median_ms": statistics.median(times) * 1000, "p90_ms": pct(times, 90) * 1000,
                     "cpu_median_ms": statistics.median(cpu) * 1000,
                     "total": page.total, "ranked": [[m.id, m.score] for m in page.items],
                     "explained": [[m.id, m.criteria, m.pairs, m.gaps_filled, m.sentence] for m in page.items]}
        print(f"{name:20s} median {ms(statistics.median(times)):>7s} ms  p90 {ms(pct(times, 90)):>7s} ms  "
              f"CPU median {ms(statistics.median(cpu)):>7s} ms  "
              f"({page.total} candidates scored, {calls} calls)", flush=True)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(5):
                matcher().find(req)
            prof.disable()
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(top)
            print(text.getvalue())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--profile", action="store_true", help="print a cProfile (5 calls) of each search")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out = run(args.calls, args.profile, args.top)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
