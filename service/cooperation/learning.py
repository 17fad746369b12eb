"""Learning criterion weights from outcomes: labelled examples from the records, a logistic model
on the criterion scores kept with each match (scikit-learn), and a cross-validated comparison
(AUC, NDCG per seeker) with the weights in use. Pure: no store, no settings."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ndcg_score, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold

from service.matching.weights import CRITERIA, PENALTY

FEATURES = (*CRITERIA, PENALTY)


@dataclass
class Example:
    search_type: str
    seeker: str
    partner: str
    scores: np.ndarray  # one per FEATURES, each in [0, 1]
    relevance: int


def relevance_of(signals: list[dict[str, Any]], outcomes: list[dict[str, Any]], agreement: bool,
                 cfg: dict[str, int]) -> int | None:
    """The strongest signal about a pair; None while nothing happened yet."""
    if agreement or any(s["kind"] == "agreement" for s in signals):
        return cfg["agreement"]
    held = [o for o in outcomes if o["held"]]
    if held:
        ratings = [o["rating"] for o in held if o.get("rating") is not None]
        mean = sum(ratings) / len(ratings) if ratings else 3
        return cfg["met_well"] if mean >= 4 else cfg["met_badly"] if mean <= 2 else cfg["met"]
    if outcomes:
        return cfg["no_show"]
    kinds = [s["kind"] for s in signals]
    if "accepted" in kinds:
        return cfg["accepted"]
    if "declined" in kinds:
        return cfg["declined"]
    return None


def features_of(match: dict[str, Any]) -> np.ndarray:
    table = match["criteria"]
    return np.array([float(table.get(name, {}).get("score", 0.0)) for name in FEATURES])


def collect_examples(records: list[dict[str, Any]], outcomes: list[dict[str, Any]],
                     unlinked: list[dict[str, Any]], cfg: dict[str, int]) -> list[Example]:
    """Records that kept their match's criteria, plus declined requests kept on their own."""
    by_record: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in outcomes:
        by_record[o["record_id"]].append(o)
    out = []
    for r in [*records, *unlinked]:
        match = r.get("match")
        if not match or not match.get("criteria"):
            continue
        rel = relevance_of(r.get("signals") or [], by_record.get(r.get("id", ""), []),
                           bool(r.get("agreement_type")), cfg)
        if rel is not None:
            seeker, partner = match.get("seeker") or r.get("seeker"), match.get("partner") or r.get("partner")
            out.append(Example(match["search_type"], str(seeker), str(partner), features_of(match), rel))
    return out


def score_with(weights: dict[str, float], x: np.ndarray) -> np.ndarray:
    """The matcher's score: positive criteria normalised to sum 1, the penalty subtracted."""
    w = np.array([weights.get(name, 0.0) for name in CRITERIA])
    total = w.sum() or 1.0
    return x[:, : len(CRITERIA)] @ (w / total) - weights.get(PENALTY, 0.0) * x[:, len(CRITERIA)]


def fit_weights(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> dict[str, float]:
    """Logistic regression on the scores; positive coefficients become the weights (normalised),
    a negative penalty coefficient the penalty weight on the same scale."""
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(x, y)
    coef = model.coef_[0]
    positive = np.clip(coef[: len(CRITERIA)], 0, None)
    total = positive.sum()
    if total <= 0:  # nothing helps: keep a uniform weighting rather than an invalid one
        positive, total = np.ones(len(CRITERIA)), float(len(CRITERIA))
    weights = {name: round(float(v / total), 4) for name, v in zip(CRITERIA, positive)}
    weights[PENALTY] = round(float(min(max(-coef[len(CRITERIA)] / total, 0.0), 10.0)), 4)
    return weights


def mean_ndcg(groups: np.ndarray, relevance: np.ndarray, scores: np.ndarray) -> float | None:
    """NDCG of each seeker's list (two or more partners of different relevance), averaged."""
    values = []
    for g in np.unique(groups):
        mask = groups == g
        if mask.sum() >= 2 and len(set(relevance[mask])) > 1:
            values.append(ndcg_score(relevance[mask][None, :], scores[mask][None, :]))
    return float(np.mean(values)) if values else None


def cross_validate(examples: list[Example], current: dict[str, float], positive_at: int, folds: int,
                   seed: int = 0) -> dict[str, Any]:
    """Fit on k-1 folds, score the held-out fold with the fitted and the current weights."""
    x = np.stack([e.scores for e in examples])
    rel = np.array([e.relevance for e in examples])
    y = (rel >= positive_at).astype(int)
    groups = np.array([e.seeker for e in examples])
    k = max(2, min(folds, int(y.sum()), int(len(y) - y.sum())))
    if len(np.unique(groups)) >= k:  # whole seekers held out: no seeker seen in training and test
        splits = GroupKFold(n_splits=k).split(x, y, groups)
    else:
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(x, y)
    figures: dict[str, list[float]] = defaultdict(list)
    for train, test in splits:
        if len(set(y[train])) < 2:
            continue
        fitted = fit_weights(x[train], y[train])
        for name, weights in (("fitted", fitted), ("current", current)):
            s = score_with(weights, x[test])
            if len(set(y[test])) == 2:
                figures[f"auc_{name}"].append(float(roc_auc_score(y[test], s)))
            ndcg = mean_ndcg(groups[test], rel[test], s)
            if ndcg is not None:
                figures[f"ndcg_{name}"].append(ndcg)
    summary = {key: {"mean": round(float(np.mean(v)), 4), "std": round(float(np.std(v)), 4), "folds": len(v)}
               for key, v in figures.items()}
    return {"folds": k, "grouped_by_seeker": len(np.unique(groups)) >= k, **summary}


def shortfall(examples: list[Example], positive_at: int, min_examples: int, min_per_class: int) -> dict[str, int]:
    """How many more examples (and of which kind) are needed before fitting; all zero when enough."""
    pos = sum(1 for e in examples if e.relevance >= positive_at)
    neg = len(examples) - pos
    more_pos, more_neg = max(0, min_per_class - pos), max(0, min_per_class - neg)
    return {"examples": len(examples), "positives": pos, "negatives": neg,
            "need_more": max(min_examples - len(examples), more_pos + more_neg),
            "need_more_positives": more_pos, "need_more_negatives": more_neg}


def propose(examples: list[Example], current: dict[str, float], cfg: dict[str, Any]) -> dict[str, Any]:
    """The fitted weights beside the current ones with their cross-validated figures, or how
    many more examples are needed (then nothing is fitted)."""
    short = shortfall(examples, cfg["positive_at"], cfg["min_examples"], cfg["min_per_class"])
    if short["need_more"] > 0:
        return {"status": "too_few_examples", **short,
                "message": f"too few examples: {short['examples']} ({short['positives']} good, "
                           f"{short['negatives']} poor partners); need {short['need_more']} more "
                           f"(at least {short['need_more_positives']} good and {short['need_more_negatives']} poor)"}
    x = np.stack([e.scores for e in examples])
    y = (np.array([e.relevance for e in examples]) >= cfg["positive_at"]).astype(int)
    fitted = fit_weights(x, y)
    cv = cross_validate(examples, current, cfg["positive_at"], cfg["folds"])
    table = [{"criterion": name, "current": round(float(current.get(name, 0.0)), 4), "fitted": fitted[name]}
             for name in FEATURES]
    gain = {m: round(cv[f"{m}_fitted"]["mean"] - cv[f"{m}_current"]["mean"], 4)
            for m in ("auc", "ndcg") if f"{m}_fitted" in cv and f"{m}_current" in cv}
    return {"status": "proposed", **short, "current_weights": {k: current.get(k, 0.0) for k in FEATURES},
            "fitted_weights": fitted, "side_by_side": table, "cross_validation": cv, "gain": gain}
