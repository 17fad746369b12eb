"""Top-10 ids and scores of sample finds on an embedded store, to JSON: run it with two versions
of the code (e.g. one extracted by `git archive`) and diff the files to show rankings unchanged.

    python -m tests.bench.top10_dump STORE.sqlite3 exact out.json
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from service.index.embedded import EmbeddedIndex
from service.matching.filters import MatchRequest
from service.matching.matcher import Matcher
from tests.bench.common import get_domain, get_embedder


def main() -> None:
    path, mode, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    index = EmbeddedIndex(path, vector_mode=mode)
    t0 = time.perf_counter()
    index._sync()
    load = time.perf_counter() - t0
    matcher = Matcher(index, get_embedder(), get_domain())
    members = index.store.all_ids("members")
    seekers = [("members", s) for s in random.Random(5).sample(members, 40)]
    seekers += [("clusters", c) for c in index.store.all_ids("clusters")[:10]]
    finds = {}
    for kind, sid in seekers:
        for target in ("members", "clusters"):
            page = matcher.find(MatchRequest(target=target, seeker_kind=kind, seeker_id=sid))
            finds[f"{kind}/{sid}->{target}"] = [[m.id, round(m.score, 6)] for m in page.items[:10]]
    Path(out).write_text(json.dumps({"load_s": load, "finds": finds}))
    print("load", round(load, 2), "s; finds", len(finds))


if __name__ == "__main__":
    main()
