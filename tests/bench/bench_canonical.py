"""Cost of canonicalising value-chain labels at ingest (issue #11 point 10: ≤ 10 % of ingest
throughput), on profiles written with free-text labels (tests/eval/open).

Reports the whole ingest time, the time spent mapping labels to template links (a matrix product
on the label vectors already embedded) and, separately, the one-off encoding of the template
labels (once per process) and the embedding of the link labels themselves (they get vectors of
their own, like offers and requests).

Run: python -m tests.bench.bench_canonical"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

OPEN = Path(__file__).resolve().parent.parent / "eval" / "open"


def main() -> None:
    import indexers.pipeline as pipeline
    from indexers.sources import read_records
    from service.domain_config import load_domain
    from service.embeddings import load_embedder
    from service.index.embedded import EmbeddedIndex
    from service.links import link_vocabulary
    from service.settings import REPO_CONFIG_DIR, load_settings

    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir)
    domain = load_domain(REPO_CONFIG_DIR)
    started = time.perf_counter()
    link_vocabulary(domain, embedder).vectors  # noqa: B018 - the one-off template encoding
    template_s = time.perf_counter() - started

    spent = {"canonical": 0.0, "labels": 0}
    original = pipeline.canonicalise_links

    def timed(profiles, vocabulary, same_link):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        spent["labels"] += sum(1 for p in profiles for it in p.items if it.role == "link")
        try:
            return original(profiles, vocabulary, same_link)
        finally:
            spent["canonical"] += time.perf_counter() - t0

    pipeline.canonicalise_links = timed
    texts = 0
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        for kind in ("clusters", "members"):
            report = pipeline.ingest(read_records(OPEN / f"{kind}.jsonl", kind), kind, index, embedder, domain)
            texts += report.embedded_texts
        total_s = time.perf_counter() - started
    labels = _labels()
    started = time.perf_counter()
    embedder.encode_queries(labels)
    label_embed_s = time.perf_counter() - started
    print(f"model: {embedder.name}; {texts} texts embedded, {spent['labels']} of them link labels")
    print(f"ingest total            {total_s:7.2f} s")
    print(f"label → template link   {spent['canonical']:7.3f} s ({spent['canonical'] / total_s:.1%} of ingest)")
    print(f"embedding the labels    {label_embed_s:7.2f} s ({label_embed_s / total_s:.1%} of ingest, "
          "their own vectors for matching by meaning)")
    print(f"template labels, once   {template_s:7.2f} s per process (cached afterwards)")


def _labels() -> list[str]:
    import json

    out: list[str] = []
    for kind in ("clusters", "members"):
        for line in (OPEN / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            out += [v["link"] for v in record.get("value_chain") or [] if isinstance(v, dict) and v.get("link")]
            out += [v for v in record.get("value_chain_links") or [] if isinstance(v, str)]
    return out


if __name__ == "__main__":
    main()
