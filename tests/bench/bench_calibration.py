"""The similarity thresholds of config/matching.yaml, measured for the configured model.

- Template link labels (config/value_chains.yaml, the same link in 5 languages): label↔label
  cosines of the same link across languages vs different links -> `same_link`.
- tests/eval (hand-written, each text in its country's language, requests and offers carrying
  link keys): need→offer cosines for the same link / different links, in the same language and
  across languages -> `answers` (90th percentile of unrelated cross-language pairs) and
  `language_pull` (how much more an unrelated same-language pair scores than a cross-language
  one); offer↔offer and need↔need cosines of unrelated pairs -> `peer_floor`.

Run: python -m tests.bench.bench_calibration"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Countries whose texts in tests/eval are in more than one language: left out of language pairs.
MIXED = {"CH", "BE"}


def _pct(values: np.ndarray, q: list[int]) -> str:
    return " ".join(f"p{p}={v:.3f}" for p, v in zip(q, np.percentile(values, q))) if len(values) else "-"


def template_labels(vocabulary: Any) -> dict[str, np.ndarray]:
    vectors = vocabulary.vectors  # (languages, keys, dims)
    n_lang, n_keys, _ = vectors.shape
    same, other = [], []
    for a in range(n_lang):
        for b in range(n_lang):
            sims = vectors[a] @ vectors[b].T
            if a != b:
                same.extend(np.diag(sims))
            other.extend(sims[~np.eye(n_keys, dtype=bool)])
    return {"same link, across languages": np.array(same), "different links": np.array(other)}


def eval_items(index: Any, countries: dict[str, Any], role: str) -> list[tuple[Any, str | None]]:
    out = []
    for kind in ("clusters", "members"):
        for pid in index.store.all_ids(kind):
            doc = index.get(kind, pid)
            langs = (countries.get(doc.get("country")) or {}).get("languages") or [None]
            lang = None if doc.get("country") in MIXED else langs[0]
            out += [(it, lang) for it in index.items(kind, pid) if it.role == role and it.link]
    return out


def need_offer(index: Any, countries: dict[str, Any]) -> dict[str, np.ndarray]:
    offers, needs = eval_items(index, countries, "offer"), eval_items(index, countries, "request")
    sims = np.stack([n.vector for n, _ in needs]) @ np.stack([o.vector for o, _ in offers]).T
    same_link = np.array([[o.link == n.link for o, _ in offers] for n, _ in needs])
    known = np.array([[bool(ol and nl) for _, ol in offers] for _, nl in needs])
    same_lang = np.array([[bool(ol and ol == nl) for _, ol in offers] for _, nl in needs])
    cross = known & ~same_lang
    return {"same link, same language": sims[same_link & same_lang],
            "same link, across languages": sims[same_link & cross],
            "different links, same language": sims[~same_link & same_lang],
            "different links, across languages": sims[~same_link & cross]}


def peers(index: Any, countries: dict[str, Any], role: str) -> dict[str, np.ndarray]:
    items = eval_items(index, countries, role)
    vectors = np.stack([it.vector for it, _ in items])
    sims = vectors @ vectors.T
    same = np.array([[a.link == b.link for b, _ in items] for a, _ in items])
    off = ~np.eye(len(items), dtype=bool)
    return {f"{role}↔{role}, same link": sims[same & off], f"{role}↔{role}, different links": sims[~same & off]}


def main() -> None:
    from service.domain_config import load_domain
    from service.embeddings import load_embedder
    from service.links import link_vocabulary
    from service.settings import REPO_CONFIG_DIR, load_settings
    from tests.bench.bench_matching import build_index

    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir)
    domain = load_domain(REPO_CONFIG_DIR)
    q = [5, 10, 50, 90, 95, 99]
    print(f"model: {embedder.name}\n")
    for name, values in template_labels(link_vocabulary(domain, embedder)).items():
        print(f"labels   {name:36} n={len(values):6} {_pct(values, q)}")
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(Path(tmp) / "eval.sqlite3", embedder, domain)
        pairs = need_offer(index, domain.countries)
        for name, values in pairs.items():
            print(f"need→offer {name:34} n={len(values):6} {_pct(values, q)} mean={values.mean():.4f}")
        for role in ("offer", "request"):
            for name, values in peers(index, domain.countries, role).items():
                print(f"peers    {name:36} n={len(values):6} {_pct(values, q)}")
    unrelated_same = pairs["different links, same language"].mean()
    unrelated_cross = pairs["different links, across languages"]
    print(f"\nlanguage_pull ≈ {unrelated_same - unrelated_cross.mean():.3f}; "
          f"answers ≈ {np.percentile(unrelated_cross, 90):.3f} (90th percentile of unrelated cross-language pairs)")


if __name__ == "__main__":
    main()
