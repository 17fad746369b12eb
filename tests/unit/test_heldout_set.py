"""The held-out evaluation set (tests/eval/heldout) is well formed: same format and roles as
tests/eval/open, read by the same harness. Its figures come from the benchmark, not from here."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_open_matching import ROLES, OpenSet, load_set

HELDOUT = Path(__file__).resolve().parent.parent / "eval" / "heldout"


@pytest.fixture(scope="module")
def data() -> OpenSet:
    return load_set(HELDOUT)


def test_size_and_kinds(data: OpenSet) -> None:
    kinds = {s.kind for s in data.scenarios}
    assert len(data.scenarios) >= 15 and kinds == {"cluster", "member", "text"}
    assert {data.language(s) for s in data.scenarios} == {"fr", "en", "de", "es", "it"}


def test_every_candidate_exists_once_with_a_known_role(data: OpenSet) -> None:
    for s in data.scenarios:
        assert set(s.candidates) <= set(ROLES), s.id
        ids = s.ids()
        assert len(ids) == len(set(ids)) and 5 <= len(ids) <= 8, s.id
        assert all(pid in data.profiles[s.target] for pid in ids), s.id
        assert s.seeker is None or s.seeker in data.profiles[s.seeker_kind], s.id
        assert 1 <= len(s.candidates["good"]) <= 2 and s.candidates.get("same_language"), s.id


def test_good_partners_write_in_another_language_and_distractors_in_the_seekers(data: OpenSet) -> None:
    for s in data.scenarios:
        lang = data.language(s)
        assert all(data.profiles[s.target][g]["language"] != lang for g in s.candidates["good"]), s.id
        assert all(data.profiles[s.target][d]["language"] == lang for d in s.candidates["same_language"]), s.id


def test_links_are_free_text(data: OpenSet) -> None:
    for kind in ("clusters", "members"):
        for record in data.profiles[kind].values():
            labels = [v["link"] for v in record.get("value_chain") or []] + list(record.get("value_chain_links") or [])
            assert all("_" not in label for label in labels), record["id"]  # no template keys
