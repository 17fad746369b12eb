"""Hybrid (BM25 + kNN) against kNN alone for free-text matches, through the whole Matcher.

Profiles: the hand-labelled evaluation members (tests/eval/members.jsonl) plus the members of
tests/eval/hybrid/members.jsonl, which name certifications, standards, material grades and
product codes (each with a look-alike that does not). Needs: tests/eval/hybrid/queries.jsonl
(exact terms, five languages) and the plain cross-lingual free-text needs of tests/eval/queries.jsonl.

    python -m tests.bench.bench_hybrid [--weights 0,0.5,1] [--backend embedded|elasticsearch]

Reports, per weight of the lexical ranking (config/matching.yaml `hybrid.weight`; 0 = kNN
only): recall@10 of the labelled partners on the result page and their mean reciprocal rank.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from tests.bench.common import get_domain, get_embedder

EVAL = Path(__file__).resolve().parents[1] / "eval"


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_index(backend: str, folder: Path) -> tuple[Any, Any]:
    if backend == "embedded":
        from service.index.embedded import EmbeddedIndex

        return EmbeddedIndex(folder / "store.sqlite3"), None
    from service.index.elastic import ElasticIndex
    from service.settings import REPO_CONFIG_DIR
    from tests.support.noida import start_elasticsearch

    server = start_elasticsearch(folder / "noida")
    from elasticsearch import Elasticsearch

    index = ElasticIndex(lambda: Elasticsearch(server.url), server.url, "bench-hybrid", REPO_CONFIG_DIR / "mappings", 0)
    return index, server


def load(index: Any, embedder: Any, domain: Any) -> None:
    from indexers.pipeline import ingest
    from indexers.sources import read_records

    index.check_model(embedder.name, embedder.dims)
    for kind, paths in (("clusters", [EVAL / "clusters.jsonl"]),
                        ("members", [EVAL / "members.jsonl", EVAL / "hybrid" / "members.jsonl"])):
        for path in paths:
            report = ingest(read_records(path, kind), kind, index, embedder, domain)
            assert report.ok, report.errors


def evaluate(index: Any, embedder: Any, domain: Any, weight: float, needs: list[dict[str, Any]]) -> dict[str, float]:
    from service.matching.filters import MatchRequest
    from service.matching.matcher import Matcher

    hybrid = {**(domain.matching.get("hybrid") or {}), "weight": weight}
    tuned = dataclasses.replace(domain, matching={**domain.matching, "hybrid": hybrid})
    matcher = Matcher(index, embedder, tuned)
    found = wanted = 0
    rr = 0.0
    for need in needs:
        page = matcher.find(MatchRequest(target="members", text=need["text"], limit=10))
        ranked = [m.id for m in page.items]
        relevant = set(need["relevant"])
        found += len(relevant & set(ranked))
        wanted += len(relevant)
        first = next((i for i, pid in enumerate(ranked, 1) if pid in relevant), None)
        rr += 1.0 / first if first else 0.0
    return {"recall10": found / wanted, "mrr": rr / len(needs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", default="0,0.5,1")
    parser.add_argument("--backend", default="embedded", choices=["embedded", "elasticsearch"])
    args = parser.parse_args()
    embedder, domain = get_embedder(), get_domain()
    exact = read(EVAL / "hybrid" / "queries.jsonl")
    plain = [q for q in read(EVAL / "queries.jsonl") if q["search"] == "text" and q["target"] == "members"]
    with tempfile.TemporaryDirectory(prefix="bench-hybrid-") as tmp:
        index, server = open_index(args.backend, Path(tmp))
        try:
            load(index, embedder, domain)
            rows = [(float(w), evaluate(index, embedder, domain, float(w), exact),
                     evaluate(index, embedder, domain, float(w), plain)) for w in args.weights.split(",")]
        finally:
            if server is not None:
                server.stop()
    print(f"\n{args.backend}; {len(exact)} needs naming exact terms, {len(plain)} plain cross-lingual needs\n")
    print("| lexical weight | exact terms R@10 | exact terms MRR | plain R@10 | plain MRR |")
    print("|---:|---:|---:|---:|---:|")
    for weight, e, p in rows:
        label = f"{weight:g}" + (" (kNN only)" if weight == 0 else "")
        print(f"| {label} | {e['recall10']:.1%} | {e['mrr']:.3f} | {p['recall10']:.1%} | {p['mrr']:.3f} |")


if __name__ == "__main__":
    main()
