"""The open-world evaluation set (tests/eval/open) is well formed, and its harness ranks.

The set's structure is checked without the model; the harness is run on a few scenarios with the
real model. Maillon's pass rate is not asserted here: it is reported by
`python -m tests.bench.bench_open_matching`."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from service.normalise import country_code
from tests.bench.bench_open_matching import (
    DISTRACTORS,
    OPEN,
    RANKERS,
    ROLES,
    OpenSet,
    Scenario,
    bad_roles,
    evaluate,
    judge,
    load_set,
)

LANGUAGES = {"fr", "en", "de", "es", "it"}


@pytest.fixture(scope="module")
def data() -> OpenSet:
    return load_set()


def _language(data: OpenSet, s: Scenario, pid: str) -> str:
    return data.profiles[s.target][pid]["language"]


def test_size_kinds_and_languages(data: OpenSet) -> None:
    scenarios = data.scenarios
    assert len(scenarios) >= 60
    assert len({s.id for s in scenarios}) == len(scenarios)
    kinds = Counter(s.kind for s in scenarios)
    assert set(kinds) == {"cluster", "member", "text"} and min(kinds.values()) >= 15, kinds
    languages = Counter(data.language(s) for s in scenarios)
    assert set(languages) == LANGUAGES and min(languages.values()) >= 10, languages


def test_profile_ids_are_unique_and_records_usable(data: OpenSet) -> None:
    ids = [pid for kind in data.profiles.values() for pid in kind]
    assert len(ids) == len(set(ids))
    for kind, profiles in data.profiles.items():
        for pid, record in profiles.items():
            assert record.get("name") and record.get("country") and record.get("sector"), (kind, pid)
            assert record.get("offers") or record.get("requests"), (kind, pid)
            assert record.get("language") in LANGUAGES | {"pt"}, (kind, pid)
            assert country_code(record["country"]), (kind, pid, record["country"])


def test_every_scenario_has_the_required_roles(data: OpenSet) -> None:
    for s in data.scenarios:
        assert set(s.candidates) <= set(ROLES), s.id
        assert 1 <= len(s.candidates["good"]) <= 2, s.id
        for role in (*DISTRACTORS, "same_country"):
            assert s.candidates.get(role), (s.id, role)
        ids = s.ids()
        assert 5 <= len(ids) <= 8 and len(ids) == len(set(ids)), s.id
        assert all(pid in data.profiles[s.target] for pid in ids), s.id
        if s.kind == "text":
            assert s.text and s.country and s.seeker is None, s.id
        else:
            assert s.seeker in data.profiles[s.seeker_kind] and s.seeker not in ids, s.id


def test_roles_mean_what_they_say(data: OpenSet) -> None:
    for s in data.scenarios:
        seeker = data.seeker_record(s)
        language = data.language(s)
        country = country_code((seeker or {}).get("country") or s.country)
        for pid in s.candidates["same_language"]:
            assert _language(data, s, pid) == language, (s.id, pid)
        for pid in s.candidates["same_country"]:
            assert country_code(data.profiles[s.target][pid]["country"]) == country, (s.id, pid)
        for pid in s.candidates["good"]:  # complements are found across languages
            assert _language(data, s, pid) != language, (s.id, pid)
        if s.kind == "cluster":  # else the default foreign-only search would hide the trap
            others = [pid for role in ROLES if role != "same_country" for pid in s.candidates.get(role, [])]
            assert all(country_code(data.profiles[s.target][pid]["country"]) != country for pid in others), s.id
            assert "same_country" in bad_roles(s, data)


def test_sellers_and_buyers_both_seek(data: OpenSet) -> None:
    kinds = Counter(data.direction(s) for s in data.scenarios if s.seeker)
    assert kinds["sells"] >= 10 and kinds["buys"] >= 20, kinds
    assert all(s.note for s in data.scenarios)  # every labelling says why


def test_labels_are_outside_the_templates(data: OpenSet, domain) -> None:
    """Sectors and value-chain labels are free text that today's closed lookup does not know."""
    for profiles in data.profiles.values():
        for pid, record in profiles.items():
            assert domain.resolve_sector(record["sector"]) is None, (pid, record["sector"])
            labels = [v["link"] for v in record.get("value_chain") or []]
            labels += list(record.get("value_chain_links") or [])
            labels += [i["link"] for i in (record.get("offers") or []) + (record.get("requests") or [])
                       if i.get("link")]
            for label in labels:
                assert all(domain.resolve_link(sector, label) is None for sector in domain.sectors), (pid, label)
    statuses = Counter(v["status"] for r in data.profiles["clusters"].values() for v in r.get("value_chain") or [])
    assert set(statuses) == {"strong", "weak", "missing"}


def test_written_by_hand_not_by_the_generator() -> None:
    bench = Path(__file__).resolve().parent.parent / "bench"
    for name in ("bench_open_matching.py", "open_baselines.py", "open_force.py"):
        assert "sample_data" not in (bench / name).read_text(encoding="utf-8")
    assert not list(OPEN.glob("*.py"))


def test_judge() -> None:
    s = Scenario(id="x", kind="member", seeker="s", candidates={
        "good": ["g1", "g2"], "lookalike": ["l"], "other_buyer": ["o"], "same_language": ["d"],
        "same_country": ["c"]})
    perfect = judge(s, ["g2", "g1", "c", "o", "l", "d"], DISTRACTORS)
    assert perfect.passed and perfect.rr == 1.0 and not perfect.lookalike_first
    trapped = judge(s, ["l", "g1", "g2", "o", "d"], DISTRACTORS)
    assert not trapped.passed and trapped.rr == 0.5 and trapped.lookalike_first
    missing = judge(s, ["g1", "o", "l", "d"], DISTRACTORS)  # g2 rejected or filtered out
    assert not missing.passed and missing.rr == 1.0
    assert judge(s, ["g1", "g2", "o"], DISTRACTORS).passed  # unranked distractors tie below
    assert not judge(s, ["g1", "c", "g2"], (*DISTRACTORS, "same_country")).passed


@pytest.mark.model
def test_harness_ranks_a_few_scenarios(data: OpenSet, embedder, domain) -> None:
    only = {"c01", "m01", "t01"}
    results = evaluate(data, embedder, domain, only, rankers=RANKERS)
    assert set(results.outcomes) == set(RANKERS) and len(results.scenarios) == 3
    for s in results.scenarios:
        hidden = set(s.candidates["same_country"]) if "same_country" in bad_roles(s, data) else set()
        for ranker in ("cosine", "bm25", "need_offer"):
            outcome = results.outcomes[ranker][s.id]
            assert sorted(outcome.ranking) == sorted(set(s.ids()) - hidden), (ranker, s.id)
            assert 0.0 < outcome.rr <= 1.0
        run = results.runs[s.id]
        assert set(run.ranking) <= set(s.ids()) and not set(run.ranking) & set(run.rejected)
        assert set(run.rejected) <= set(s.ids()) | {s.seeker}
        assert not run.seeker_rejected or run.ranking == []
