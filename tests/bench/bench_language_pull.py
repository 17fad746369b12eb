"""Same-language pull of the embedding model, measured on ESCO skills (FR/ES/EN, aligned by concept,
/work/shared/data/esco-v1.0-fr-es-en), and the per-language-pair offsets of config/matching.yaml
(`language_offsets`) that correct it (issue #11 point 7).

Each skill's preferred label is encoded as a query (a need) in one language and as a passage (an
offer) in every language. Per (query language, passage language):
- unrelated: query vs the passages of other skills -> the pair's background; the offset is this
  background minus the mean background of the need's cross-language pairs (what the model adds
  to a pair just because of the offer's language);
- equivalent: query vs the same skill's passage (translation; same language: an alternative label).
The concepts are split in two: offsets are measured on the first half, the correction is checked on
the second: how often an unrelated same-language passage outranks the translation of the query,
against an unrelated cross-language one, before and after.

Run: python -m tests.bench.bench_language_pull [--concepts 600] [--yaml]"""
from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path
from typing import Any

import numpy as np

ESCO = Path("/work/shared/data/esco-v1.0-fr-es-en")
FILES = {"fr": "skills_fr.csv", "es": "skills_es.csv", "en": "skills_en-us.csv"}


def load_esco(folder: Path = ESCO) -> dict[str, dict[str, tuple[str, list[str]]]]:
    out: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for lang, name in FILES.items():
        with (folder / name).open(encoding="utf-8") as f:
            out[lang] = {r["conceptUri"]: (r["preferredLabel"].strip(),
                                           [a.strip() for a in (r["altLabels"] or "").split("\n") if a.strip()])
                         for r in csv.DictReader(f) if r["preferredLabel"].strip()}
    return out


def encode(embedder: Any, esco: dict[str, Any], uris: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per language: query vectors and passage vectors of the preferred labels."""
    queries = {lang: np.asarray(embedder.encode_queries([esco[lang][u][0] for u in uris])) for lang in FILES}
    passages = {lang: np.asarray(embedder.encode_documents([esco[lang][u][0] for u in uris])) for lang in FILES}
    return queries, passages


def backgrounds(queries: dict[str, np.ndarray], passages: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean cosine of unrelated (query, passage) pairs per 'q>p' language pair."""
    out = {}
    for q, qv in queries.items():
        for p, pv in passages.items():
            sims = qv @ pv.T
            out[f"{q}>{p}"] = float(sims[~np.eye(len(sims), dtype=bool)].mean())
    return out


def offsets_from(background: dict[str, float]) -> dict[str, float]:
    """Per need language, each offer language's background minus the mean background of the other
    languages' offers: what ranks offers by their language for one seeker (a need language's own
    level changes no ranking, and `answers` is calibrated on pooled cross-language pairs)."""
    out = {}
    for pair, value in background.items():
        q = pair[:2]
        cross = np.mean([v for k, v in background.items() if k[:2] == q and k[3:] != q])
        out[pair] = round(value - float(cross), 4)
    return out


def outranked(queries: dict[str, np.ndarray], passages: dict[str, np.ndarray],
              offsets: dict[str, float]) -> dict[str, float]:
    """For each query and each other language: how often an unrelated passage in the query's own
    language beats the query's translation, and how often an unrelated passage in a third language
    does (the fair rate). Equal rates mean no pull."""
    same, third = [], []
    langs = list(queries)
    for q in langs:
        for t in langs:
            if t == q:
                continue
            other = next(x for x in langs if x not in (q, t))
            target = np.einsum("nd,nd->n", queries[q], passages[t]) - offsets.get(f"{q}>{t}", 0.0)
            for bucket, lang in ((same, q), (third, other)):
                sims = queries[q] @ passages[lang].T - offsets.get(f"{q}>{lang}", 0.0)
                np.fill_diagonal(sims, -np.inf)  # the same concept is not a distractor
                bucket.append((sims > target[:, None]).mean())
    return {"own-language distractor beats the translation": float(np.mean(same)),
            "third-language distractor beats the translation": float(np.mean(third))}


def measure(embedder: Any, n: int = 600, seed: int = 7, flat: float = 0.022) -> dict[str, Any]:
    esco = load_esco()
    uris = sorted(u for u in esco["en"] if all(u in esco[lang] for lang in FILES))
    random.Random(seed).shuffle(uris)
    half = n // 2
    fit_q, fit_p = encode(embedder, esco, uris[:half])
    test_q, test_p = encode(embedder, esco, uris[half:n])
    background = backgrounds(fit_q, fit_p)
    offsets = offsets_from(background)
    equivalent = {f"{q}>{p}": float(np.einsum("nd,nd->n", fit_q[q], fit_p[p]).mean())
                  for q in FILES for p in FILES if q != p}
    return {"background": background, "offsets": offsets, "equivalent": equivalent,
            "test_background_before": backgrounds(test_q, test_p),
            "before": outranked(test_q, test_p, {}), "after": outranked(test_q, test_p, offsets),
            "flat": outranked(test_q, test_p, {f"{lang}>{lang}": flat for lang in FILES}), "flat_value": flat}


def main() -> None:
    from service.embeddings import load_embedder
    from service.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", type=int, default=600)
    parser.add_argument("--yaml", action="store_true", help="print the offsets as a config line")
    parser.add_argument("--flat", type=float, default=0.022, help="flat same-language pull to compare with")
    args = parser.parse_args()
    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir)
    print(report(embedder.name, measure(embedder, args.concepts, flat=args.flat), args.yaml))


def report(model: str, m: dict[str, Any], as_yaml: bool = False) -> str:
    lines = [f"model: {model}", "", "| pair (need>offer) | unrelated mean | offset | translation mean |",
             "|---|---|---|---|"]
    for pair, value in m["background"].items():
        eq = m["equivalent"].get(pair)
        lines.append(f"| {pair} | {value:.4f} | {m['offsets'][pair]:+.4f} | {'' if eq is None else f'{eq:.4f}'} |")
    same = [v for k, v in m["offsets"].items() if k[:2] == k[3:]]
    lines += ["", f"mean same-language offset (fallback for unmeasured languages): {np.mean(same):.4f}", "",
              f"| held-out half of the concepts | no correction | pair table | flat {m['flat_value']} same-language |",
              "|---|---|---|---|"]
    for key in m["before"]:
        lines.append(f"| {key} | {m['before'][key]:.4f} | {m['after'][key]:.4f} | {m['flat'][key]:.4f} |")
    if as_yaml:
        lines += ["", f"  {model}: {{" + ", ".join(f"'{k}': {v}" for k, v in m["offsets"].items()) + "}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
