"""Simulation: outcomes drawn from a hidden "true" preference over the criteria. Do the weights
fitted by service.cooperation.learning recover it, and how many examples does that take?

    python -m tests.bench.bench_weights [--sizes 60,120,250,500,1000,2000,4000] [--repeats 5]

Each simulated seeker gets 20 candidates with criterion scores shaped like the matcher's (skewed,
discrete where the criterion is). Requests go to the 5 best by the hand-set weights of
config/matching.yaml plus one chosen at random (the bias real outcomes have), and each request
ends declined / accepted / met well / agreement from the true utility plus logistic noise.
Figures: Spearman correlation of the fitted weights with the true ones, and NDCG@10 on 300 fresh
seekers (graded by expected relevance) of the hand-set, fitted and true weights.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import ndcg_score

from service.cooperation.learning import FEATURES, Example, fit_weights, propose, score_with
from service.cooperation.settings import load_pipeline_config
from service.matching.weights import load_matching_config
from service.settings import REPO_CONFIG_DIR

TRUE = {"complementarity": 0.24, "gap_filling": 0.08, "cross_border": 0.02, "market_access": 0.26, "scope": 0.03,
        "maturity": 0.05, "trust": 0.22, "capacity": 0.10, "competitor_penalty": 0.40}
CANDIDATES, SHOWN, EXPLORE = 20, 5, 1
SHARPNESS = 14.0  # logistic scale of the utility: how strongly outcomes follow it
SHARES = (0.45, 0.25, 0.20)  # declined or poor / accepted / met well; the rest ends in an agreement


def candidates(rng: np.random.Generator, n: int) -> np.ndarray:
    cols = {
        "complementarity": rng.beta(2, 4, n),
        "gap_filling": rng.choice([0.0, 0.5, 1.0], n, p=[0.6, 0.25, 0.15]),
        "cross_border": rng.beta(6, 2, n),
        "market_access": rng.choice([0.0, 1.0], n, p=[0.7, 0.3]),
        "scope": np.clip(1 - np.abs(rng.normal(0, 0.3, n)), 0, 1),
        "maturity": rng.choice([0.5, 1.0], n, p=[0.4, 0.6]),
        "trust": rng.choice([0.0, 0.5, 1.0], n, p=[0.6, 0.3, 0.1]),
        "capacity": 1 - np.minimum(rng.poisson(2, n), 8) / 8,
        "competitor_penalty": np.where(rng.random(n) < 0.8, 0.0, rng.uniform(0.3, 1.0, n)),
    }
    return np.stack([cols[f] for f in FEATURES], axis=1)


def thresholds(rng: np.random.Generator) -> np.ndarray:
    latent = SHARPNESS * score_with(TRUE, candidates(rng, 50_000))
    return np.quantile(latent, np.cumsum(SHARES))


def expected_relevance(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    latent = SHARPNESS * score_with(TRUE, x)
    return sum(1 / (1 + np.exp(-(latent - c))) for c in cuts)


def observed(rng: np.random.Generator, n_examples: int, hand: dict[str, float], cuts: np.ndarray) -> list[Example]:
    out: list[Example] = []
    seeker = 0
    while len(out) < n_examples:
        x = candidates(rng, CANDIDATES)
        order = np.argsort(-score_with(hand, x))
        chosen = list(order[:SHOWN]) + list(rng.choice(order[SHOWN:], EXPLORE, replace=False))
        latent = SHARPNESS * score_with(TRUE, x[chosen]) + rng.logistic(0, 1, len(chosen))
        for row, value in zip(chosen, latent):
            out.append(Example("members", f"s{seeker}", f"c{row}", x[row], int(np.searchsorted(cuts, value))))
        seeker += 1
    return out[:n_examples]


def mean_ndcg(weights: dict[str, float], evaluation: list[tuple[np.ndarray, np.ndarray]]) -> float:
    return float(np.mean([ndcg_score(rel[None, :], score_with(weights, x)[None, :], k=10) for x, rel in evaluation]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="60,120,250,500,1000,2000,4000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    hand = load_matching_config(REPO_CONFIG_DIR / "matching.yaml")["weights"]["members"]
    cfg = load_pipeline_config(REPO_CONFIG_DIR)["learning"]
    rng = np.random.default_rng(7)
    cuts = thresholds(rng)
    evaluation = []
    for _ in range(300):
        x = candidates(rng, CANDIDATES)
        evaluation.append((x, expected_relevance(x, cuts)))
    truth = [TRUE[f] for f in FEATURES]
    ndcg_hand, ndcg_true = mean_ndcg(hand, evaluation), mean_ndcg(TRUE, evaluation)
    print(f"hidden weights: {TRUE}")
    print(f"hand-set (config/matching.yaml, members): Spearman with truth "
          f"{spearmanr([hand[f] for f in FEATURES], truth).statistic:.3f}; NDCG@10 {ndcg_hand:.4f}; "
          f"true weights NDCG@10 {ndcg_true:.4f} (the ceiling)\n")
    print("| examples | Spearman (mean ± sd) | NDCG@10 fitted | gain vs hand-set | share of possible gain |")
    print("|---:|---:|---:|---:|---:|")
    enough = None
    for size in [int(s) for s in args.sizes.split(",")]:
        rhos, ndcgs = [], []
        for rep in range(args.repeats):
            examples = observed(np.random.default_rng(1000 * size + rep), size, hand, cuts)
            x = np.stack([e.scores for e in examples])
            y = (np.array([e.relevance for e in examples]) >= cfg["positive_at"]).astype(int)
            fitted = fit_weights(x, y)
            rhos.append(spearmanr([fitted[f] for f in FEATURES], truth).statistic)
            ndcgs.append(mean_ndcg(fitted, evaluation))
        gain = np.mean(ndcgs) - ndcg_hand
        share = gain / (ndcg_true - ndcg_hand)
        print(f"| {size} | {np.mean(rhos):.3f} ± {np.std(rhos):.3f} | {np.mean(ndcgs):.4f} | {gain:+.4f} | "
              f"{share:.0%} |")
        if enough is None and np.mean(rhos) >= 0.8 and share >= 0.8:
            enough = size
    print(f"\nsmallest size with Spearman ≥ 0.8 and ≥ 80 % of the possible NDCG gain: {enough}")
    examples = observed(np.random.default_rng(99), 2000, hand, cuts)
    proposal = propose(examples, hand, cfg)
    cv = proposal["cross_validation"]
    print("\nThe pipeline's own proposal on 2000 simulated examples (cross-validated, "
          f"{cv['folds']} folds by seeker={cv['grouped_by_seeker']}):")
    print("| criterion | hand-set | fitted | true |\n|---|---:|---:|---:|")
    for row in proposal["side_by_side"]:
        print(f"| {row['criterion']} | {row['current']:.3f} | {row['fitted']:.3f} | {TRUE[row['criterion']]:.3f} |")
    for metric in ("auc", "ndcg"):
        print(f"{metric.upper()}: hand-set {cv[f'{metric}_current']['mean']:.4f}, "
              f"fitted {cv[f'{metric}_fitted']['mean']:.4f} ± {cv[f'{metric}_fitted']['std']:.4f}")
    print(f"\n({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
