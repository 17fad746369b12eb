"""Identical-ranking check for matcher changes: records every `Matcher.find` a run makes (request,
ranked ids, scores, criteria tables, pairs, gaps filled, sentences) to a JSONL file, and compares
two such files. Run it once with the old code and once with the new, then compare.

    python -m tests.bench.dump_rankings record OUT.jsonl MODULE [ARGS...]   # e.g. tests.bench.bench_matching
    python -m tests.bench.dump_rankings synthetic OUT.jsonl [--size 10000] [--finds 100]
    python -m tests.bench.dump_rankings compare OLD.jsonl NEW.jsonl [--tol 1e-6]

`synthetic` runs finds for random stored members on the bench_match_latency store (built once
under $MAILLON_BENCH_CACHE), with the gap-vector cache filled as on a warm server."""
from __future__ import annotations

import argparse
import json
import random
import runpy
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    """JSON-ready, phrases as their English text."""
    if is_dataclass(value):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in (sorted(value, key=str) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return value
    return value if value is None or isinstance(value, (int, bool)) else repr(value)


def install(out: Path) -> None:
    """Wraps Matcher.find so that every call appends one line to `out`."""
    from service.matching.matcher import Matcher

    original = Matcher.find
    sink = out.open("w", encoding="utf-8")

    def find(self: Matcher, req: Any) -> Any:
        page = original(self, req)
        sink.write(json.dumps({
            "request": _plain(req), "total": page.total,
            "items": [{"id": m.id, "score": m.score, "criteria": _plain(m.criteria), "pairs": _plain(m.pairs),
                       "gaps_filled": _plain(m.gaps_filled), "sentence": str(m.sentence)} for m in page.items],
        }, ensure_ascii=False) + "\n")
        sink.flush()
        return page

    Matcher.find = find  # type: ignore[method-assign]


def synthetic(out: Path, size: int, finds: int, seed: int) -> None:
    from service.index.sqlite_store import SqliteStore
    from service.matching.filters import MatchRequest
    from service.matching.matcher import Matcher
    from tests.bench.bench_match_latency import build_store, open_index
    from tests.bench.common import get_domain, get_embedder

    embedder = get_embedder()
    path = build_store(size, embedder.dims, embedder.name)
    index, _ = open_index(path, "auto")
    domain = get_domain()
    install(out)
    matcher = Matcher(index, embedder, domain)
    matcher._gap_vectors(sorted({e["key"] for sector in domain.sectors.values() for e in sector.links}))
    ids = random.Random(seed).sample(SqliteStore(path).all_ids("members"), finds)
    for sid in ids:
        matcher.find(MatchRequest(target="members", seeker_kind="members", seeker_id=sid))
        matcher.find(MatchRequest(target="members", seeker_kind="members", seeker_id=sid, offset=10, limit=20))


def compare(old: Path, new: Path, tol: float) -> int:
    a = [json.loads(line) for line in old.read_text(encoding="utf-8").splitlines()]
    b = [json.loads(line) for line in new.read_text(encoding="utf-8").splitlines()]
    problems: list[str] = []
    if len(a) != len(b):
        problems.append(f"{len(a)} finds before, {len(b)} after")
    order = score = explained = 0
    for n, (x, y) in enumerate(zip(a, b)):
        where = f"find {n} ({x['request'].get('seeker_id') or x['request'].get('text')})"
        if x["request"] != y["request"]:
            problems.append(f"{where}: not the same request")
            continue
        if x["total"] != y["total"] or [i["id"] for i in x["items"]] != [i["id"] for i in y["items"]]:
            order += 1
            before, after = [i["id"] for i in x["items"]], [i["id"] for i in y["items"]]
            problems.append(f"{where}: ranking differs ({x['total']} vs {y['total']} scored): {before} vs {after}")
            continue
        for i, j in zip(x["items"], y["items"]):
            if abs(i["score"] - j["score"]) > tol:
                score += 1
                problems.append(f"{where}: {i['id']} score {i['score']} vs {j['score']}")
            elif {k: i[k] for k in ("criteria", "pairs", "gaps_filled", "sentence")} != \
                    {k: j[k] for k in ("criteria", "pairs", "gaps_filled", "sentence")}:
                explained += 1
                problems.append(f"{where}: {i['id']} explanation differs")
    n = min(len(a), len(b))
    items = sum(len(x["items"]) for x in a[:n])
    print(f"{n} finds, {items} ranked results compared: {order} rankings differ, {score} scores differ "
          f"by more than {tol}, {explained} explanations differ")
    for p in problems[:30]:
        print("  " + p)
    return 1 if problems else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("module")
    rec.add_argument("args", nargs=argparse.REMAINDER)
    syn = sub.add_parser("synthetic")
    syn.add_argument("out", type=Path)
    syn.add_argument("--size", type=int, default=10_000)
    syn.add_argument("--finds", type=int, default=100)
    syn.add_argument("--seed", type=int, default=11)
    cmp = sub.add_parser("compare")
    cmp.add_argument("old", type=Path)
    cmp.add_argument("new", type=Path)
    cmp.add_argument("--tol", type=float, default=1e-6)
    args = ap.parse_args()
    if args.cmd == "record":
        install(args.out)
        sys.argv = [args.module, *args.args]
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    elif args.cmd == "synthetic":
        synthetic(args.out, args.size, args.finds, args.seed)
    else:
        sys.exit(compare(args.old, args.new, args.tol))


if __name__ == "__main__":
    main()
