"""HNSW recall and query time against exact top-k, on random unit vectors and on the realistic
vectors of bench_match_latency (mixes of real ESCO label embeddings), for the graph settings
service/index/vectors.py uses and a range of search breadths (ef). Queries are held-out vectors
of the same kind, one batch per call as the matcher sends them.

    python -m tests.bench.bench_hnsw_recall [--rows 250000] [--queries 200] [--k 50]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tests.bench.bench_match_latency import _vectors, base_vectors
from tests.bench.common import get_embedder, load_average


def run(rows: int, queries: int, k: int, efs: list[int], m: int, ef_construction: int, threads: int,
        batch: int = 23) -> list[str]:
    import hnswlib

    embedder = get_embedder()
    base = base_vectors(embedder)
    lines = [f"{rows:,} rows, {queries} queries in batches of {batch}, k={k}, M={m}, "
             f"ef_construction={ef_construction}, {threads} thread(s), load {load_average()}", "",
             "| vectors | build s | ef | recall@k | query ms (per batch of 23) | exact ms (per batch) |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in ("random", "realistic"):
        rng = np.random.default_rng(1)
        data = _vectors(rows + queries, rng, embedder.dims, None if kind == "random" else base).astype(np.float32)
        matrix, qs = data[:rows], data[rows:]
        t0 = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=embedder.dims)
        index.init_index(max_elements=rows, ef_construction=ef_construction, M=m)
        index.set_num_threads(2)
        index.add_items(matrix, np.arange(rows))
        build = time.perf_counter() - t0
        index.set_num_threads(threads)
        t0 = time.perf_counter()
        truth = []
        for start in range(0, queries, batch):
            scores = qs[start : start + batch] @ matrix.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            truth += [set(row) for row in top]
        exact = (time.perf_counter() - t0) / -(-queries // batch)
        for ef in efs:
            index.set_ef(max(ef, k))
            found, took = 0, []
            for start in range(0, queries, batch):
                t0 = time.perf_counter()
                labels, _ = index.knn_query(qs[start : start + batch], k=k)
                took.append(time.perf_counter() - t0)
                found += sum(len(truth[start + n] & set(row)) for n, row in enumerate(labels))
            lines.append(f"| {kind} | {build:.0f} | {ef} | {found / (queries * k):.1%} "
                         f"| {np.median(took) * 1000:.1f} | {exact * 1000:.1f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--queries", type=int, default=230)
    ap.add_argument("--k", type=int, default=40)  # per_need_k, per_gap_k
    ap.add_argument("--efs", default="64,128,256")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    print("\n".join(run(a.rows, a.queries, a.k, [int(e) for e in a.efs.split(",")], a.m, a.ef_construction,
                        a.threads)))


if __name__ == "__main__":
    main()
