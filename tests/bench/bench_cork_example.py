"""Issue 11 point 7's own example, "bouchons en liège pour bouteilles de cognac" (open set t01):
can any correction for the same-language pull put the Portuguese and Catalan cork makers ahead of
the French packaging firms? Raw need→offer cosines of the configured model, then:

- `pull`: the product's flat correction (config similarity.language_pull off same-language pairs);
- `centered`: each language's mean vector taken off, per side (needs as queries, offers as
  documents), from every need and offer of tests/eval/open in that language. This is the
  language-mean centering of Libovický et al. (2020), fitted in-sample: better than the product
  could ever do, so a failure here is the model's, not the correction's;
- the need's head alone ("bouchons en liège") and its English translation.

    python -m tests.bench.bench_cork_example [--scenario t01]
"""
from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from tests.bench.bench_open_matching import load_set
from tests.bench.common import get_embedder

VARIANTS = {"t01": {"head": "bouchons en liège", "English": "cork stoppers for cognac bottles"}}
BAD = ("lookalike", "other_buyer", "same_language")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _texts(record: dict, key: str) -> list[str]:
    return [x["text"] if isinstance(x, dict) else str(x) for x in record.get(key) or []]


def language_means(embedder, profiles: list[dict]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    needs, offers = defaultdict(list), defaultdict(list)
    for p in profiles:
        if p.get("language"):
            needs[p["language"]] += _texts(p, "requests")
            offers[p["language"]] += _texts(p, "offers")
    return ({lang: embedder.encode_queries(t).mean(axis=0) for lang, t in needs.items() if t},
            {lang: embedder.encode_documents(t).mean(axis=0) for lang, t in offers.items() if t})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="t01", help="a free-text scenario of tests/eval/open")
    args = parser.parse_args()
    from service.domain_config import load_domain
    from service.settings import REPO_CONFIG_DIR

    data = load_set()
    s = next(x for x in data.scenarios if x.id == args.scenario and x.text)
    embedder = get_embedder()
    pull = float(load_domain(REPO_CONFIG_DIR).matching["similarity"].get(embedder.name, {}).get("language_pull", 0))
    everyone = [*data.profiles["members"].values(), *data.profiles["clusters"].values()]
    need_mean, offer_mean = language_means(embedder, everyone)

    queries = {"need": s.text, **VARIANTS.get(s.id, {})}
    q = embedder.encode_queries(list(queries.values()))
    roles = {pid: role for role, ids in s.candidates.items() for pid in ids}
    rows, columns = [], ["raw", "pull", "centered", *list(queries)[1:]]
    for pid, role in roles.items():
        p = data.profiles[s.target][pid]
        offers = _texts(p, "offers")
        d = embedder.encode_documents(offers)
        raw = d @ q.T  # offers x queries
        same = p.get("language") == s.language
        centered = _unit(d - offer_mean[p["language"]]) @ _unit(q[0] - need_mean[s.language])
        rows.append((pid, role, {"raw": raw[:, 0].max(), "pull": raw[:, 0].max() - (pull if same else 0.0),
                                 "centered": centered.max(),
                                 **{name: raw[:, i].max() for i, name in enumerate(queries) if i}}))
    print(f"model {embedder.name}; scenario {s.id}: “{s.text}” ({s.language}); language_pull {pull}\n")
    print("| candidate | role | " + " | ".join(columns) + " |")
    print("|---|---|" + "---:|" * len(columns))
    for pid, role, values in sorted(rows, key=lambda r: -r[2]["raw"]):
        print(f"| {pid} | {role} | " + " | ".join(f"{values[c]:.3f}" for c in columns) + " |")
    print("\nGood partners above every look-alike, other buyer and same-language distractor:")
    for c in columns:
        good = min(v[c] for _, role, v in rows if role == "good")
        bad = max(v[c] for _, role, v in rows if role in BAD)
        print(f"- {c}: {'yes' if good > bad else 'no'} (worst good {good:.3f}, best distractor {bad:.3f})")


if __name__ == "__main__":
    main()
