"""`maillon match` from a cold start on the demo data (issue 11 point 10: ≤ 5 s): each CLI variant
run N times, each time in a fresh process, wall time from launch to exit.

The demo data dir is built once (`maillon demo --no-serve`, vectors from the shipped cache) and
reused; pass --data-dir to time another one. A stored seeker (--cluster, --member) needs no model:
its vectors are in the store and the template label vectors in the data dir's label store. A
free-text need (--text) must load the model to embed the text.

Run: python -m tests.bench.bench_cold_match [--runs 5] [--data-dir /tmp/maillon-bench/cold-demo]"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import CACHE_DIR, REPO

VARIANTS = {
    "cluster": ["--cluster", "fr-pole-aeronautique-occitanie", "--target", "clusters"],
    "member": ["--member", "fr-pole-aeronautique-occitanie-0001", "--target", "members"],
    "text": ["--text", "bouchons en liège pour bouteilles de cognac", "--target", "members"],
}
GOAL_S = 5.0


def ensure_demo(data_dir: Path) -> None:
    if (data_dir / "maillon.sqlite3").is_file():
        return
    print(f"building the demo data dir {data_dir} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "indexers", "--data-dir", str(data_dir), "demo", "--no-serve"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def time_variant(data_dir: Path, args: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall times, and the CPU time (user + system) of each process: on a busy shared machine
    the wall time waits for cores; the CPU time is about what the wall time is on an idle one."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "indexers", "--data-dir", str(data_dir), "match", *args,
                               "--limit", "5"], cwd=REPO, env=env, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"match {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=CACHE_DIR / "cold-demo")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    ensure_demo(args.data_dir)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"backend {env.get('MAILLON_EMBED_BACKEND', 'auto')}; {args.runs} fresh processes per variant")
    print(f"{'variant':<8} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7}  goal ≤ {GOAL_S:.0f} s (median wall)")
    for name in args.variants.split(","):
        walls, cpus = time_variant(args.data_dir, VARIANTS[name], args.runs, env)
        median = statistics.median(walls)
        print(f"{name:<8} {median:9.2f} {min(walls):7.2f} {max(walls):7.2f} {statistics.median(cpus):7.2f}  "
              f"{'met' if median <= GOAL_S else 'NO'}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
