"""Learning weights from outcomes: labels, the too-few answer, proposals, apply and rollback by
admins only, and the live matching weights following them."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from service.access.keys import Principal
from service.access.policy import Guard
from service.cooperation.learning import collect_examples, relevance_of, score_with
from service.cooperation.settings import load_pipeline_config, parse_delay
from service.cooperation.store import CooperationStore
from service.cooperation.weights import WeightProposals, refresh
from service.errors import ConfigurationError, ConflictError, ForbiddenError
from service.matching.weights import CRITERIA, PENALTY, load_matching_config
from service.settings import REPO_CONFIG_DIR

CFG = load_pipeline_config(REPO_CONFIG_DIR)["learning"]
REL = CFG["relevance"]
ADMIN = Guard(Principal("k-admin", "admin"))


@pytest.mark.parametrize(("signals", "outcomes", "agreement", "expected"), [
    ([], [], False, None),
    ([{"kind": "declined"}], [], False, REL["declined"]),
    ([{"kind": "accepted"}], [], False, REL["accepted"]),
    ([{"kind": "accepted"}], [{"held": False}], False, REL["no_show"]),
    ([{"kind": "accepted"}], [{"held": True, "rating": 5}, {"held": True, "rating": 4}], False, REL["met_well"]),
    ([{"kind": "accepted"}], [{"held": True, "rating": 1}, {"held": True, "rating": 3}], False, REL["met_badly"]),
    ([{"kind": "accepted"}], [{"held": True, "rating": None}], False, REL["met"]),
    ([{"kind": "declined"}], [{"held": True, "rating": 1}], True, REL["agreement"]),
])
def test_relevance_from_the_strongest_signal(signals, outcomes, agreement, expected) -> None:
    assert relevance_of(signals, outcomes, agreement, REL) == expected


def test_delays_and_bad_config() -> None:
    assert parse_delay("3 months").days == 91 and parse_delay("90 days").days == 90
    assert parse_delay("2 seconds").total_seconds() == 2
    with pytest.raises(ValueError, match="fortnight"):
        parse_delay("1 fortnight")
    with pytest.raises(ConfigurationError, match="follow_up_delays"):
        load_pipeline_config(REPO_CONFIG_DIR, {"follow_up_delays": ["soon"]})


def _record(i: int, scores: dict[str, float], signal: str, rating: int | None = None) -> tuple[dict, list]:
    criteria = {name: {"score": scores.get(name, 0.0), "weight": 0.1, "contribution": 0.0, "reason": "x"}
                for name in (*CRITERIA, PENALTY)}
    record = {"id": f"co-{i}", "created_at": f"2026-03-{1 + i % 27:02d}T10:00:00Z", "stage": "contact",
              "parties": [{"kind": "members", "id": f"m{i}", "clusters": []},
                          {"kind": "members", "id": f"p{i}", "clusters": []}],
              "signals": [{"kind": signal}], "agreement_type": None,
              "match": {"search_type": "members", "seeker": f"s{i % 40}", "partner": f"p{i}", "criteria": criteria}}
    outcomes = [{"record_id": record["id"], "meeting_key": f"e/{i}", "side": "0", "held": True, "rating": rating,
                 "at": record["created_at"]}] if rating else []
    return record, outcomes


@pytest.fixture
def filled(tmp_path):
    """Partners were good when they gave market access and trust, whatever their complementarity."""
    store = CooperationStore(tmp_path / "c.sqlite3")
    rng = np.random.default_rng(3)
    for i in range(160):
        scores = {"complementarity": float(rng.uniform(0.2, 0.9)), "market_access": float(rng.choice([0.0, 1.0])),
                  "trust": float(rng.choice([0.0, 0.5, 1.0])), "cross_border": float(rng.uniform(0.5, 1)),
                  "capacity": float(rng.uniform(0, 1))}
        good = scores["market_access"] + scores["trust"] + rng.normal(0, 0.3) > 1.0
        record, outcomes = _record(i, scores, "accepted" if good or i % 3 else "declined",
                                   rating=(5 if good else 2) if i % 3 else None)
        store.put_record(record)
        for o in outcomes:
            store.put_outcome(o)
    return store


def _weights(store, guard=ADMIN):
    matching = load_matching_config(REPO_CONFIG_DIR / "matching.yaml")
    return WeightProposals(store, guard, matching, copy.deepcopy(matching["weights"]), CFG), matching


def test_too_few_examples_change_nothing(tmp_path) -> None:
    store = CooperationStore(tmp_path / "c.sqlite3")
    for i in range(10):
        record, _ = _record(i, {"complementarity": 0.5}, "declined")
        store.put_record(record)
    service, matching = _weights(store)
    before = copy.deepcopy(matching["weights"])
    proposal = service.propose(["members"])[0]
    assert proposal["status"] == "too_few_examples" and proposal["need_more"] == 50
    assert proposal["need_more_positives"] == 15 and "need 50 more" in proposal["message"]
    assert "fitted_weights" not in proposal and matching["weights"] == before
    with pytest.raises(ConflictError, match="only a 'proposed' one"):
        service.apply(proposal["id"])
    assert store.active_weights() == {}


def test_proposal_apply_and_rollback(filled) -> None:
    service, matching = _weights(filled)
    hand = copy.deepcopy(matching["weights"]["members"])
    proposal = service.propose(["members"])[0]
    assert proposal["status"] == "proposed", proposal.get("message")
    fitted = proposal["fitted_weights"]
    assert fitted["market_access"] > fitted["complementarity"] and fitted["trust"] > fitted["complementarity"]
    cv = proposal["cross_validation"]
    assert cv["auc_fitted"]["mean"] > cv["auc_current"]["mean"] and cv["grouped_by_seeker"]
    assert [row["criterion"] for row in proposal["side_by_side"]] == [*CRITERIA, PENALTY]
    assert matching["weights"]["members"] == hand  # nothing changes before an admin applies

    with pytest.raises(ForbiddenError):
        _weights(filled, Guard(Principal("k-m", "member", "m1")))[0].apply(proposal["id"])
    with pytest.raises(ForbiddenError):
        _weights(filled, Guard(Principal("k-c", "cluster_manager", "c1")))[0].propose()
    version = service.apply(proposal["id"])
    assert version["previous"] == hand and matching["weights"]["members"] == fitted
    assert service.proposal(proposal["id"])["status"] == "applied"

    other_process, other_matching = _weights(filled)  # a fresh process overlays the applied weights
    refresh(other_matching, filled, other_process.base)
    assert other_matching["weights"]["members"] == fitted and other_matching["weights"]["clusters"] == \
        other_process.base["clusters"]

    back = service.rollback("members")
    assert back["weights"] == hand and back["rollback_of"] == version["version"]
    assert matching["weights"]["members"] == hand
    assert [v["active"] for v in service.versions("members")] == [False, True]


def test_examples_keep_the_scores_and_the_matcher_score_adds_up(filled) -> None:
    examples = collect_examples(filled.records(), filled.outcomes(), [], REL)
    assert len(examples) == 160 and {e.search_type for e in examples} == {"members"}
    weights = {**{c: 1.0 for c in CRITERIA}, PENALTY: 0.5}
    x = np.array([[1.0] * len(CRITERIA) + [1.0]])
    assert score_with(weights, x)[0] == pytest.approx(0.5)
