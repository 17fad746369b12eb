"""Embedding backends of the default model, per core: PyTorch float32, ONNX Runtime float32 and
ONNX Runtime int8, on ESCO cross-lingual skills (FR labels -> EN labels, R@10 and top-1) and
throughput (texts/s on one thread, labels and paragraphs).

    OMP_NUM_THREADS=1 python -m tests.bench.bench_backends --n 2000

The first run exports the ONNX files next to the built model (once, about 1.5 min).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from tests.bench.bench_embedders import best_rate, find_data_dir, sample_pairs


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
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from service.embeddings import load_embedder
    from service.settings import load_settings

    docs, queries, paragraphs = sample_pairs(find_data_dir(args.data), args.n, 13)
    rows = []
    for backend in args.backends.split(","):
        t0 = time.perf_counter()
        embedder = load_embedder(args.model, load_settings().models_dir, 64, backend=backend, threads=1)
        embedder.encode_documents(docs[:8])
        load_s = time.perf_counter() - t0
        top1, r10 = recall(embedder, docs, queries["fr"])
        labels = best_rate(embedder.encode_documents, docs[:1000], args.repeat)
        long = best_rate(embedder.encode_documents, paragraphs[:300], args.repeat)
        rows.append((backend, top1, r10, labels, long, load_s))
        print(f"{backend}: FR→EN top-1 {top1:.1%} R@10 {r10:.1%}, {labels:.0f} labels/s, "
              f"{long:.0f} paragraphs/s (1 thread), load {load_s:.1f}s", flush=True)
    base = rows[0]
    print(f"\n{len(docs)} ESCO skills, FR labels -> EN labels, one thread\n")
    print("| backend | FR→EN top-1 | FR→EN R@10 | ΔR@10 | labels/s | paragraphs/s | speed-up (paragraphs) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend, top1, r10, labels, long, _ in rows:
        print(f"| {backend} | {top1:.1%} | {r10:.1%} | {r10 - base[2]:+.3f} | {labels:.0f} | {long:.1f} "
              f"| {long / base[4]:.2f}× |")


if __name__ == "__main__":
    main()
