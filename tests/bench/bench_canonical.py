"""Cost of canonicalising value-chain labels at ingest (issue #11 point 10: ≤ 10 % of ingest
throughput), on profiles written with free-text labels (tests/eval/open).

Canonicalising a label means embedding it (the link's own vector, also what the mapping compares),
having the template labels' vectors, and mapping it to the closest template link. The same files
are ingested side by side in one run, each time into a fresh store as a fresh process would:

- `without`: value-chain labels neither embedded nor mapped (what ingest costs without them);
- `before`: as before this change: every label embedded in each batch with the requests, the
  template labels encoded once per process;
- `now`: each distinct label embedded once (template labels and labels seen in the process reuse
  their vector), the template labels read from the data dir's label store.

cost = 1 − throughput(with labels) / throughput(without), i.e. (t_with − t_without) / t_with. The
rounds alternate the modes so a busy moment of a shared machine does not land on one of them.

Run: python -m tests.bench.bench_canonical [--rounds 2]"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

OPEN = Path(__file__).resolve().parent.parent / "eval" / "open"
MODES = ("without", "before", "now")


def ingest_once(mode: str, model: Any, label_dir: Path, domain: Any, tmp: Path,
                mapping: dict[tuple[str, str], tuple[str | None, float]] | None = None) -> tuple[float, int]:
    import indexers.documents as documents
    import indexers.pipeline as pipeline
    import service.links as links
    from indexers.sources import read_records
    from service.index.embedded import EmbeddedIndex
    from service.label_vectors import LabelVectorStore
    from service.lazy_embedder import LazyEmbedder

    links._CACHE.clear()  # a fresh process: no template vectors, no labels seen
    embedder: Any = model
    original_entries, original_embed = documents.link_entries, pipeline.embed_profiles
    original_canonical = pipeline.canonicalise_links

    def recorded(profiles: Any, vocabulary: Any, same_link: float) -> Any:
        notes = original_canonical(profiles, vocabulary, same_link)
        for p in profiles if mapping is not None else ():  # each label's template link and cosine
            for entry in p.doc.get("value_chain") or p.doc.get("link_labels") or []:
                if "confidence" in entry:
                    mapping[(p.id, entry.get("label") or entry.get("link"))] = (entry["canonical"],
                                                                                entry["confidence"])
        return notes

    pipeline.canonicalise_links = recorded
    if mode == "without":
        documents.link_entries = lambda doc: []
    elif mode == "before":
        pipeline.embed_profiles = lambda kind, docs, hashes, emb, labels=None: original_embed(kind, docs, hashes, emb)
    else:
        embedder = LazyEmbedder(model.name, lambda: model, model.dims, LabelVectorStore(label_dir, model.name, "torch"))
    texts = 0
    try:
        index = EmbeddedIndex(tmp / f"{mode}-{time.monotonic_ns()}.sqlite3")
        started = time.perf_counter()
        for kind in ("clusters", "members"):
            report = pipeline.ingest(read_records(OPEN / f"{kind}.jsonl", kind), kind, index, embedder, domain)
            texts += report.embedded_texts
        return time.perf_counter() - started, texts
    finally:
        documents.link_entries, pipeline.embed_profiles = original_entries, original_embed
        pipeline.canonicalise_links = original_canonical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from service.domain_config import load_domain
    from service.embeddings import load_embedder
    from service.label_vectors import LabelVectorStore
    from service.lazy_embedder import LazyEmbedder
    from service.links import link_vocabulary
    from service.settings import REPO_CONFIG_DIR, load_settings

    settings = load_settings()
    model = load_embedder(settings.model_name, settings.models_dir)
    domain = load_domain(REPO_CONFIG_DIR)
    print(f"model {model.name}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    times: dict[str, list[float]] = {m: [] for m in MODES}
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()  # the data dir's label store, filled once (by the first ingest)
        first = LazyEmbedder(model.name, lambda: model, model.dims, LabelVectorStore(tmp, model.name, "torch"))
        link_vocabulary(domain, first).vectors  # noqa: B018
        once_s = time.perf_counter() - started
        ingest_once("now", model, tmp, domain, tmp)  # warm-up: file cache, allocator
        mappings: dict[str, dict[tuple[str, str], tuple[str | None, float]]] = {m: {} for m in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                seconds, counts[mode] = ingest_once(mode, model, tmp, domain, tmp, mappings[mode])
                times[mode].append(seconds)
                print(f"  {mode:<8} {seconds:7.2f} s", flush=True)
    base = statistics.median(times["without"])
    print(f"\n{'mode':<8} {'median s':>9} {'texts':>6} {'cost vs without':>16}")
    for mode in MODES:
        median = statistics.median(times[mode])
        cost = "" if mode == "without" else f"{(median - base) / median:15.1%}"
        print(f"{mode:<8} {median:9.2f} {counts[mode]:6d} {cost:>16}")
    before, now = mappings["before"], mappings["now"]
    same_keys = sum(before[k][0] == now.get(k, (None, -1.0))[0] for k in before)
    drift = max((abs(before[k][1] - now[k][1]) for k in before if k in now), default=0.0)
    print(f"mapping: {same_keys}/{len(before)} labels to the same template link (or free) before and now; "
          f"largest cosine difference {drift:.4f}")
    print(f"template labels into the label store: {once_s:.2f} s once per data dir "
          "(before: once per process, included in `before`)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
