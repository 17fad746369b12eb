"""Matching quality on the hand-labelled set (tests/eval): recall@10 and MRR of Maillon against
whole-profile cosine and BM25 over the same texts. Run: python -m tests.bench.bench_matching"""
from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EVAL = Path(__file__).resolve().parent.parent / "eval"


@dataclass
class Scores:
    recall_at_10: float
    mrr: float
    lookalike_first: int  # queries where a look-alike outranks every relevant answer
    queries: int


def load_queries() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EVAL / "queries.jsonl").read_text().splitlines() if line.strip()]


def build_index(path: Path, embedder: Any, domain: Any) -> Any:
    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from service.index.embedded import EmbeddedIndex

    index = EmbeddedIndex(path)
    for kind in ("clusters", "members"):
        report = ingest(read_records(EVAL / f"{kind}.jsonl", kind), kind, index, embedder, domain)
        assert report.ok, report.errors[:3]
    return index


def _tokens(text: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]{2,}", plain)


def _text(doc: dict[str, Any]) -> str:
    parts = [doc.get("name", ""), doc.get("description", ""), " ".join(doc.get("competences") or [])]
    parts += [o["text"] for o in doc.get("offers") or []] + [r["text"] for r in doc.get("requests") or []]
    return " ".join(parts)


def score(rankings: dict[str, list[str]], queries: list[dict[str, Any]]) -> Scores:
    recalls, rr, lookalike_first = [], [], 0
    for q in queries:
        ranked = rankings[q["id"]]
        relevant = set(q["relevant"])
        recalls.append(len(relevant & set(ranked[:10])) / len(relevant))
        first = next((i for i, pid in enumerate(ranked) if pid in relevant), None)
        rr.append(1.0 / (first + 1) if first is not None else 0.0)
        first_look = next((i for i, pid in enumerate(ranked) if pid in set(q["lookalikes"])), None)
        if first_look is not None and (first is None or first_look < first):
            lookalike_first += 1
    return Scores(round(float(np.mean(recalls)), 3), round(float(np.mean(rr)), 3), lookalike_first, len(queries))


def evaluate(index: Any, embedder: Any, domain: Any) -> dict[str, Scores]:
    from rank_bm25 import BM25Okapi

    from service.matching.filters import MatchRequest, index_filter
    from service.matching.matcher import Matcher

    matcher = Matcher(index, embedder, domain)
    queries = load_queries()
    docs = {kind: index.get_many(kind, index.store.all_ids(kind)) for kind in ("clusters", "members")}
    bm25 = {kind: (list(d), BM25Okapi([_tokens(_text(doc)) for doc in d.values()])) for kind, d in docs.items()}
    runs: dict[str, dict[str, list[str]]] = {"maillon": {}, "cosine": {}, "bm25": {}}
    for q in queries:
        target = q["target"]
        if q["search"] == "text":
            req = MatchRequest(target=target, text=q["text"], limit=50)
            seeker_doc, query_vec = None, embedder.encode_queries([q["text"]])
            query_text = q["text"]
        else:
            req = MatchRequest(target=target, seeker_kind=q["search"], seeker_id=q["seeker"], limit=50)
            seeker_doc = docs[q["search"]][q["seeker"]]
            query_vec = next(it.vector for it in index.items(q["search"], q["seeker"]) if it.role == "profile")[None]
            query_text = _text(seeker_doc)
        runs["maillon"][q["id"]] = [m.id for m in matcher.find(req).items]
        # Baselines get the same candidate set (same filters), only the ranking differs.
        flt = index_filter(req, (seeker_doc or {}).get("country"), q.get("seeker"))
        hits = index.knn(target, "profile", query_vec, 50, flt)[0]
        runs["cosine"][q["id"]] = [h.profile_id for h in hits]
        allowed = _allowed(docs[target], flt)
        ids, model = bm25[target]
        order = np.argsort(-model.get_scores(_tokens(query_text)))
        runs["bm25"][q["id"]] = [ids[i] for i in order if ids[i] in allowed][:50]
    return {name: score(r, queries) for name, r in runs.items()}


def _allowed(docs: dict[str, dict[str, Any]], flt: Any) -> set[str]:
    return {pid for pid, d in docs.items() if pid not in flt.exclude_ids
            and d.get("country") not in flt.exclude_countries
            and (not flt.countries or d.get("country") in flt.countries)}


def to_markdown(results: dict[str, Scores]) -> str:
    rows = ["| ranker | recall@10 | MRR | look-alike above every relevant answer |", "|---|---|---|---|"]
    for name, s in results.items():
        rows.append(f"| {name} | {s.recall_at_10:.3f} | {s.mrr:.3f} | {s.lookalike_first} of {s.queries} |")
    return "\n".join(rows)


def main() -> None:
    from service.domain_config import load_domain
    from service.embeddings import load_embedder
    from service.settings import REPO_CONFIG_DIR, load_settings

    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir)
    domain = load_domain(REPO_CONFIG_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(Path(tmp) / "eval.sqlite3", embedder, domain)
        print(f"model: {embedder.name}\n")
        print(to_markdown(evaluate(index, embedder, domain)))


if __name__ == "__main__":
    main()
