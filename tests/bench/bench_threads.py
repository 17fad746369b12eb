"""Two concurrent `maillon ingest` processes of the same members, with MAILLON_CPU_THREADS=1 and
with every core per process (torch's default), side by side in one run.

python -m tests.bench.bench_threads [--members 500]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "indexers" / "sample_data" / "members.jsonl"


def _ingest_pair(threads: int, members: Path, work: Path) -> list[float]:
    """Wall time of each of two ingests started together into two data dirs."""
    procs = []
    for n in range(2):
        env = dict(os.environ, MAILLON_CPU_THREADS=str(threads), MAILLON_DATA_DIR=str(work / f"t{threads}-{n}"))
        procs.append((time.monotonic(), subprocess.Popen(
            [sys.executable, "-m", "indexers", "ingest", "members", str(members), "--json-report"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)))
    seconds = []
    for started, proc in procs:
        out, _ = proc.communicate()
        report = json.loads(out)
        seconds.append(report["seconds"])
        assert report["inserted"] > 0, report
        _ = started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        members = work / "members.jsonl"
        members.write_text("".join(SAMPLE.read_text().splitlines(keepends=True)[: args.members]))
        rows = [(threads, _ingest_pair(threads, members, work)) for threads in (1, cores)]
    print(f"| threads per process | ingest seconds (two at once, {args.members} members each, {cores} cores) |")
    print("|---|---|")
    for threads, seconds in rows:
        print(f"| {threads} | {' / '.join(f'{s:.1f}' for s in seconds)} |")


if __name__ == "__main__":
    main()
