"""The benchmark suite in one command: runs the chosen parts and writes a markdown report with the
figures, the targets met or missed, and the machine they were taken on.

    python -m tests.bench.run [--parts ingest,match,agenda,api,quality,embedders] [--quick]
                              [--out tests/bench/REPORT.md]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.bench.common import REPO, Section, Target, get_domain, get_embedder, load_average, machine_info

PARTS = ("ingest", "match", "agenda", "api", "quality", "embedders")
AGENDA_TIME_LIMITS = {"medium": 5.0, "large": 15.0, "huge": 60.0}  # issue #13, on 2 cores


def ingest_part(quick: bool) -> Section:
    from tests.bench.bench_ingest import section

    return section(quick, get_embedder())


def match_part(quick: bool) -> Section:
    from tests.bench.bench_match_latency import section

    return section(quick, get_embedder())


def api_part(quick: bool) -> Section:
    from tests.bench.bench_api import section

    return section(quick, get_embedder())


def agenda_part(quick: bool) -> Section:
    from tests.bench.bench_agenda import run_bench, to_markdown

    t0 = time.perf_counter()
    sizes = ["medium"] if quick else ["medium", "large", "huge"]
    rows = run_bench(sizes, time_limit_s=110.0, bound_time_s=60.0, delta_size="medium")
    targets = []
    for r in rows:
        if "delta" in r:
            d = r["delta"]
            moved = d["confirmed_moved"] + d["confirmed_dropped"]
            targets.append(Target("late changes move no confirmed meeting", "0 moved or dropped",
                                  f"{d['confirmed_moved']} moved, {d['confirmed_dropped']} dropped", moved == 0))
            continue
        name = f"{r['size']} ({r['profile']})"
        targets.append(Target(f"{name}: objective vs proven bound", "≥ 99.5 %", f"{r['share']:.3%}",
                              r["share"] >= 0.995))
        limit = AGENDA_TIME_LIMITS[r["size"]]
        targets.append(Target(f"{name}: solve time", f"≤ {limit:.0f} s",
                              f"{r['time_s']} s ({r['time_s'] / limit:.0%} of the budget)", r["time_s"] <= limit))
        targets.append(Target(f"{name}: valid schedule", "0 violations", str(r["violations"]), r["violations"] == 0))
    for size in AGENDA_TIME_LIMITS:
        if size not in sizes:
            targets.append(Target(f"{size}: share and solve time", "see above", "not run (--quick)", None))
    return Section("Agendas", to_markdown(rows), targets, seconds=time.perf_counter() - t0)


def quality_part(quick: bool) -> Section:
    import tempfile

    from tests.bench.bench_matching import build_index, evaluate, to_markdown

    t0 = time.perf_counter()
    embedder, domain = get_embedder(), get_domain()
    with tempfile.TemporaryDirectory(prefix="maillon-bench-quality-") as tmp:
        results = evaluate(build_index(Path(tmp) / "eval.sqlite3", embedder, domain), embedder, domain)
    best = max(("cosine", "bm25"), key=lambda name: results[name].recall_at_10)
    m, b = results["maillon"], results[best]
    targets = [Target("recall@10 vs the best baseline", "≥ 1.0× (informative)",
                      f"{m.recall_at_10:.3f} vs {best} {b.recall_at_10:.3f} "
                      f"({m.recall_at_10 / max(b.recall_at_10, 1e-9):.2f}×)", m.recall_at_10 >= b.recall_at_10)]
    return Section("Matching quality", to_markdown(results), targets, seconds=time.perf_counter() - t0)


def embedders_part(quick: bool) -> Section:
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "tests.bench.bench_embedders", "--n", "500" if quick else "2000",
           "--repeat", "1" if quick else "3"]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return Section("Embedding models", out.stdout.strip(), seconds=time.perf_counter() - t0)


RUNNERS: dict[str, Callable[[bool], Section]] = {
    "ingest": ingest_part, "match": match_part, "agenda": agenda_part, "api": api_part,
    "quality": quality_part, "embedders": embedders_part}
TITLES = {"ingest": "Ingestion", "match": "Matching latency", "agenda": "Agendas", "api": "API",
          "quality": "Matching quality", "embedders": "Embedding models"}


def render(info: dict[str, str], sections: list[Section], quick: bool) -> str:
    lines = ["# Maillon benchmark report", "",
             f"Mode: {'quick' if quick else 'full'}. Ratios compare Maillon with the limit of its own part "
             "measured in the same run; absolute times hold only for this machine and its load.", "",
             "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    summary = [t for s in sections for t in s.targets]
    if summary:
        lines += ["", "## Targets", "", "| part | target | goal | measured | met |", "|---|---|---|---|---|"]
        for s in sections:
            for t in s.targets:
                met = "—" if t.met is None else ("yes" if t.met else "**no**")
                lines.append(f"| {s.title} | {t.name} | {t.goal} | {t.figure} | {met} |")
    for s in sections:
        lines += ["", f"## {s.title}", "", s.body]
        lines += [f"\n_{n}_" for n in s.notes]
        lines.append(f"\n_Part took {s.seconds:.0f} s; load average (1/5/15 min) when it ended: {s.load_after}._")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, from {', '.join(PARTS)}")
    ap.add_argument("--quick", action="store_true", help="smaller data sets and shorter runs")
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "bench" / "REPORT.md")
    a = ap.parse_args()
    parts = [p.strip() for p in a.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown parts: {', '.join(sorted(unknown))}")
    info = machine_info()
    sections = []
    for part in parts:
        print(f"[bench] {part} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            sections.append(RUNNERS[part](a.quick))
        except Exception as exc:  # one broken part must not cost the figures of the others
            traceback.print_exc()
            sections.append(Section(TITLES[part], f"**failed**: {type(exc).__name__}: {exc}",
                                    [Target(f"{part} ran", "completes", "failed", False)],
                                    seconds=time.perf_counter() - t0))
        sections[-1].load_after = load_average()
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(render(info, sections, a.quick), encoding="utf-8")  # partial report as we go
        print(f"[bench] {part} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    print(a.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
