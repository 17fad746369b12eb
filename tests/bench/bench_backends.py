"""Embedding backends of the default model, per core: PyTorch float32, ONNX Runtime float32 and
ONNX Runtime int8, on ESCO cross-lingual skills (FR labels -> EN labels, R@10 and top-1),
throughput per core (texts per CPU-second on one thread, labels and paragraphs, at the embedders'
token budget and, with --budgets, at others) and ingest end to end (sample members read,
validated, embedded and stored in SQLite, profiles and texts per CPU-second).

    OMP_NUM_THREADS=1 python -m tests.bench.bench_backends --n 1000

Rates are counted in CPU time of the process (one thread each): on a shared machine wall time
mostly measures the other processes. The first run exports the ONNX files next to the built model
(once, about 1.5 min).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.bench.bench_embedders import find_data_dir, sample_pairs
from tests.bench.bench_ingest import subset_file
from tests.bench.common import get_domain


def cpu_rate(encode: Any, texts: list[str]) -> float:
    """Texts per CPU-second of this process (all its threads)."""
    t0 = time.process_time()
    encode(texts)
    return len(texts) / (time.process_time() - t0)


def ingest_rates(embedder: Any, members: Path, store: Path) -> tuple[float, float, float]:
    """(profiles, texts) per CPU-second and wall seconds of one ingest of `members` into a new store."""
    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from service.index.embedded import EmbeddedIndex

    index = EmbeddedIndex(store)
    index.check_model(embedder.name, embedder.dims)
    c0, t0 = time.process_time(), time.perf_counter()
    report = ingest(read_records(members, "members"), "members", index, embedder, get_domain(),
                    source=members.name, batch_size=256)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    index.close()
    return report.valid / cpu, report.embedded_texts / cpu, wall


def recall(embedder, docs: list[str], queries: list[str]) -> tuple[float, float]:
    d = embedder.encode_documents(docs)
    q = embedder.encode_queries(queries)
    ranks = np.argsort(-(q @ d.T), axis=1)[:, :10]
    gold = np.arange(len(docs))
    return float(np.mean(ranks[:, 0] == gold)), float(np.mean((ranks == gold[:, None]).any(axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--data", default=None)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    parser.add_argument("--repeat", type=int, default=3, help="speed rounds (the backends alternate)")
    parser.add_argument("--labels", type=int, default=500, help="labels per speed round")
    parser.add_argument("--paragraphs", type=int, default=100, help="paragraphs per speed round")
    parser.add_argument("--budgets", default="", help="token budgets to compare, e.g. 512,100000 "
                        "(100000: fixed batches of 64 rows)")
    parser.add_argument("--members", type=int, default=120, help="sample members ingested per backend (0: none)")
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from service.embeddings import load_embedder
    from service.settings import load_settings

    docs, queries, paragraphs = sample_pairs(find_data_dir(args.data), args.n, 13)
    names = args.backends.split(",")
    embedders, quality = {}, {}
    for backend in names:
        t0 = time.perf_counter()
        embedders[backend] = load_embedder(args.model, load_settings().models_dir, 64, backend=backend, threads=1)
        embedders[backend].encode_documents(docs[:8])
        print(f"{backend}: loaded in {time.perf_counter() - t0:.1f}s", flush=True)
        if not args.no_quality:
            quality[backend] = recall(embedders[backend], docs, queries["fr"])
            print(f"{backend}: FR→EN top-1 {quality[backend][0]:.1%} R@10 {quality[backend][1]:.1%}", flush=True)
    # Speed: the backends take turns, round after round, and each keeps its best round, so a
    # busy moment of the shared machine does not land on one backend only.
    budgets = [int(b) for b in args.budgets.split(",")] if args.budgets else [None]
    speed: dict[tuple[str, int | None], list[float]] = {(b, t): [0.0, 0.0] for b in names for t in budgets}
    ingest: dict[str, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="maillon-bench-backends-") as tmp:
        members = subset_file(args.members, Path(tmp))
        for round_ in range(args.repeat):
            for backend in names:
                embedder = embedders[backend]
                default_budget = embedder.token_budget
                for budget in budgets:
                    embedder.token_budget = budget or default_budget
                    rates = speed[(backend, budget)]
                    rates[0] = max(rates[0], cpu_rate(embedder.encode_documents, docs[: args.labels]))
                    rates[1] = max(rates[1], cpu_rate(embedder.encode_documents, paragraphs[: args.paragraphs]))
                embedder.token_budget = default_budget
                if args.members and round_ < 2:  # ingest: best of two rounds, into a new store each
                    rates_ = ingest_rates(embedder, members, Path(tmp) / f"{backend}-{round_}.sqlite3")
                    ingest[backend] = max(ingest.get(backend, rates_), rates_)
    base = names[0]
    print(f"\n{len(docs)} ESCO skills, FR labels -> EN labels; speed per core (texts per CPU-second, one "
          f"thread), best of {args.repeat} alternating rounds ({args.labels} labels, {args.paragraphs} "
          f"paragraphs); load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(f"| backend | token budget | FR→EN top-1 | FR→EN R@10 | ΔR@10 vs {base} | labels/s | paragraphs/s "
          f"| speed-up vs {base} (labels / paragraphs) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (b, budget), (lab, par) in speed.items():
        top1, r10 = quality.get(b, (float("nan"), float("nan")))
        delta = r10 - quality[base][1] if quality else float("nan")
        ref = speed[(base, budget)]
        print(f"| {b} | {budget or embedders[b].token_budget} | {top1:.1%} | {r10:.1%} | {delta:+.3f} | {lab:.0f} "
              f"| {par:.1f} | {lab / ref[0]:.2f}× / {par / ref[1]:.2f}× |")
    if ingest:
        print(f"\nIngest end to end ({args.members} sample members: read, validate, embed, SQLite), best of "
              "two rounds, one thread\n")
        print(f"| backend | members per CPU-second | texts per CPU-second | wall s | speed-up vs {base} |")
        print("|---|---:|---:|---:|---:|")
        for b, (profiles, texts, wall) in ingest.items():
            print(f"| {b} | {profiles:.2f} | {texts:.1f} | {wall:.1f} | {profiles / ingest[base][0]:.2f}× |")

if __name__ == "__main__":
    main()
