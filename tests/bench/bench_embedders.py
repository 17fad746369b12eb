"""Benchmark of the offline embedding models on ESCO cross-lingual skill retrieval (FR/ES -> EN)."""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import importlib.metadata
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path("/work/shared/data/esco-v1.0-fr-es-en")
FILES = {"fr": "skills_fr.csv", "es": "skills_es.csv", "en": "skills_en-us.csv"}


def find_data_dir(option: str | None) -> Path:
    candidates = [Path(option)] if option else [
        DEFAULT_DATA, REPO.parent / "shared" / "data" / "esco-v1.0-fr-es-en"]
    for path in candidates:
        if (path / FILES["en"]).is_file():
            return path
    sys.exit(f"ESCO skills files not found in {[str(c) for c in candidates]}")


def read_column(path: Path, column: str) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["conceptUri"]: row[column].strip()
                for row in csv.DictReader(fh) if row.get(column, "").strip()}


def sample_pairs(
    data_dir: Path, n: int, seed: int
) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """N concepts labelled in all three languages, chosen deterministically.

    Returns EN labels (documents), FR/ES labels (queries) and the EN descriptions (paragraphs:
    the FR label -> EN description task is closest to a short need against an offer text).
    """
    labels = {lang: read_column(data_dir / name, "preferredLabel") for lang, name in FILES.items()}
    descriptions = read_column(data_dir / FILES["en"], "description")
    uris = sorted(set(labels["en"]) & set(labels["fr"]) & set(labels["es"]) & set(descriptions))
    chosen = random.Random(seed).sample(uris, min(n, len(uris)))
    return [labels["en"][u] for u in chosen], {
        lang: [labels[lang][u] for u in chosen] for lang in ("fr", "es")}, [
        descriptions[u] for u in chosen]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def install_mb(name: str, folder: Path) -> float:
    """Installed size of the source packages plus the built folder (if it lives in the cache)."""
    from service.model_assets import KNOWN_MODELS

    total = 0
    for dist in KNOWN_MODELS[name].packages:
        for file in importlib.metadata.distribution(dist).files or []:
            located = Path(str(file.locate()))
            total += located.stat().st_size if located.is_file() else 0
    if "site-packages" not in str(folder):
        total += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return total / 2**20


def best_rate(encode, texts: list[str], repeat: int) -> float:
    """Texts per second, best of `repeat` runs (the machine is shared: best is the least noisy)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        encode(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def run_model(name: str, cache_dir: str, docs: list[str], queries: dict[str, list[str]],
              long_texts: list[str], batch_size: int, repeat: int) -> dict[str, object]:
    """Runs in a fresh process so load time and memory are not mixed up between models."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    sys.path.insert(0, str(REPO))
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from service.model_assets import KNOWN_MODELS, materialise_model

    t0 = time.perf_counter()
    folder = materialise_model(name, Path(cache_dir))
    build_s = time.perf_counter() - t0
    base = rss_mb()
    t0 = time.perf_counter()
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                                trust_remote_code=KNOWN_MODELS[name].trust_remote_code)
    load_s = time.perf_counter() - t0
    model.encode_document(docs[:8])  # warm-up
    opts = {"batch_size": batch_size, "convert_to_numpy": True, "normalize_embeddings": True}
    doc_vecs = model.encode_document(docs, **opts)
    result: dict[str, object] = {
        "name": name, "dims": doc_vecs.shape[1], "build_s": build_s, "load_s": load_s,
        "labels_per_s": best_rate(lambda t: model.encode_document(t, **opts), docs[:1000], repeat),
        "long_per_s": best_rate(
            lambda t: model.encode_document(t, **opts), long_texts[:300], repeat),
        "install_mb": install_mb(name, folder)}
    desc_vecs = model.encode_document(long_texts, **opts)
    gold = np.arange(len(docs))
    for lang, texts in queries.items():
        q = model.encode_query(texts, **opts)
        for task, targets in ((lang, doc_vecs), (f"{lang}_desc", desc_vecs)):
            ranks = np.argsort(-(q @ targets.T), axis=1)[:, :10]
            result[f"{task}_top1"] = float(np.mean(ranks[:, 0] == gold))
            result[f"{task}_r10"] = float(np.mean((ranks == gold[:, None]).any(axis=1)))
    result["rss_mb"] = rss_mb() - base
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="number of ESCO skills (default 2000)")
    parser.add_argument("--data", default=None, help=f"ESCO folder (default {DEFAULT_DATA})")
    parser.add_argument(
        "--models", default="multilingual-e5-small,use-multilingual-v3,all-MiniLM-L6-v2")
    parser.add_argument("--cache-dir", default=None, help="model cache (default: a temp dir)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (best is kept)")
    args = parser.parse_args()

    docs, queries, long_texts = sample_pairs(find_data_dir(args.data), args.n, args.seed)
    cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="maillon-models-")
    print(f"{len(docs)} ESCO skills, FR/ES labels as queries, EN labels and descriptions "
          f"as documents; cache {cache_dir}\n")
    rows = []
    for name in args.models.split(","):
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            rows.append(pool.submit(run_model, name, cache_dir, docs, queries, long_texts,
                                    args.batch_size, args.repeat).result())
    print("| model | dims | FR→EN top-1 | FR→EN R@10 | ES→EN top-1 | ES→EN R@10 "
          "| FR→EN desc top-1 | FR→EN desc R@10 | labels/s "
          "| paragraphs/s | load s | build s | RSS MB | install MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['dims']} | {r['fr_top1']:.1%} | {r['fr_r10']:.1%} "
              f"| {r['es_top1']:.1%} | {r['es_r10']:.1%} "
              f"| {r['fr_desc_top1']:.1%} | {r['fr_desc_r10']:.1%} "
              f"| {r['labels_per_s']:.0f} | {r['long_per_s']:.0f} | {r['load_s']:.1f} "
              f"| {r['build_s']:.1f} | {r['rss_mb']:.0f} | {r['install_mb']:.0f} |")


if __name__ == "__main__":
    main()
