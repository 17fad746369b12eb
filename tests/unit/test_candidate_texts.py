"""The per-process cache of a candidate's derived values (service/matching/candidate_texts.py):
reused while the profile's items are unchanged, never once a vector, text, type or link changed."""
from __future__ import annotations

import numpy as np
import pytest

from service.index.base import Item
from service.matching import candidate_texts as ct
from service.matching.hubness import hubness, hubness_of
from service.matching.scoring import SeekerContext, request_sells


class Vocabulary:
    """Stands in for LinkVocabulary: (languages, keys, dims) label vectors."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors


class Languages:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary


def unit(rng: np.random.Generator, n: int, dims: int = 8) -> np.ndarray:
    v = rng.normal(size=(n, dims)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    ct.CACHE.clear()


def context(vocabulary: Vocabulary, center: float = 0.1) -> SeekerContext:
    return SeekerContext(
        seeker=None, search_type="members", target="members", weights={}, gaps={}, strong=set(),
        use_forward=True, use_backward=True, commercial=True, floor=0.7, ceiling=0.9, cfg={},
        coop={"distribution": {"reverse": True}, "supply": {}}, countries={},
        thresholds={"hub_center": center}, languages=Languages(vocabulary))


def profile(vectors: np.ndarray, texts: list[str] | None = None, types: list[str | None] | None = None) -> list[Item]:
    texts = texts or [f"offer {k}" for k in range(len(vectors))]
    types = types or [None] * len(vectors)
    return [Item("offer", k, t, v, ty) for k, (t, v, ty) in enumerate(zip(texts, vectors, types))]


def test_unchanged_items_reuse_the_cached_values(rng: np.random.Generator) -> None:
    vectors = unit(rng, 3)
    first = ct.candidate_texts("m1", profile(vectors))
    # Read again from the index: new arrays, same bytes.
    again = ct.candidate_texts("m1", profile(np.frombuffer(vectors.tobytes(), dtype=np.float32).reshape(3, -1)))
    assert again.derived is first.derived
    assert len(ct.CACHE) == 1


def test_a_changed_vector_gets_fresh_hubness(rng: np.random.Generator) -> None:
    vocabulary = Vocabulary(unit(rng, 30).reshape(2, 15, 8))
    ctx = context(vocabulary)
    old, new = unit(rng, 2), unit(rng, 2)
    before = hubness_of(ctx, ct.candidate_texts("m1", profile(old)), "offer")
    np.testing.assert_array_equal(before, hubness(ctx, old))
    after = hubness_of(ctx, ct.candidate_texts("m1", profile(new)), "offer")  # same id, new wording
    np.testing.assert_array_equal(after, hubness(ctx, new))
    assert not np.array_equal(before, after)


def test_a_changed_text_type_or_link_is_a_new_version(rng: np.random.Generator) -> None:
    vectors = unit(rng, 1)
    base = ct.candidate_texts("m1", profile(vectors, ["we need cork"], ["supply"])).derived
    assert ct.candidate_texts("m1", profile(vectors, ["we need corks"], ["supply"])).derived is not base
    assert ct.candidate_texts("m1", profile(vectors, ["we need cork"], ["distribution"])).derived is not base
    linked = [Item("link", 0, "cork", vectors[0], "strong", "cork")]
    unlinked = [Item("link", 0, "cork", vectors[0], "strong", None)]
    assert ct.candidate_texts("m1", linked).derived.link_keyed.tolist() == [True]
    assert ct.candidate_texts("m1", unlinked).derived.link_keyed.tolist() == [False]


def test_request_sells_follows_a_changed_request(rng: np.random.Generator) -> None:
    ctx = context(Vocabulary(unit(rng, 4).reshape(1, 4, 8)))
    v = unit(rng, 1)[0]
    buying = ct.candidate_texts("m1", [Item("request", 0, "Looking for cork", v, "supply")])
    assert request_sells(ctx, buying) == [False]
    selling = ct.candidate_texts("m1", [Item("request", 0, "Looking for cork", v, "distribution")])
    assert request_sells(ctx, selling) == [True]


def test_hubness_is_per_vocabulary(rng: np.random.Generator) -> None:
    vectors = unit(rng, 2)
    one, two = Vocabulary(unit(rng, 12).reshape(1, 12, 8)), Vocabulary(unit(rng, 12).reshape(1, 12, 8))
    texts = ct.candidate_texts("m1", profile(vectors))
    np.testing.assert_array_equal(hubness_of(context(one), texts, "offer"), hubness(context(one), vectors))
    np.testing.assert_array_equal(hubness_of(context(two), texts, "offer"), hubness(context(two), vectors))


def test_the_cache_is_bounded(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ct, "CACHE", ct._Cache(2))
    for k in range(5):
        ct.candidate_texts(f"m{k}", profile(unit(rng, 1)))
    assert len(ct.CACHE) == 2


def test_an_unstored_profile_is_not_cached(rng: np.random.Generator) -> None:
    ct.candidate_texts(None, profile(unit(rng, 1)))
    assert len(ct.CACHE) == 0


def test_many_candidates_stacked_at_once_give_what_each_alone_gives(rng: np.random.Generator) -> None:
    items = {"m1": profile(unit(rng, 3)), "m2": [], "m3": profile(unit(rng, 1))}
    items["m3"].append(Item("request", 0, "we seek cork", unit(rng, 1)[0], "supply"))
    many = ct.candidate_texts_many(items, ["m3", "m2", "m1", "m4"])
    assert list(many) == ["m3", "m2", "m1", "m4"]
    for pid in many:
        alone = ct.candidate_texts(pid, items.get(pid, []))
        assert many[pid].derived is alone.derived  # same cache entry: same digest
        for role in ("offer_vecs", "request_vecs", "link_vecs"):
            mine, theirs = getattr(many[pid], role), getattr(alone, role)
            assert (mine is None) == (theirs is None)
            if mine is not None:
                assert np.array_equal(mine, theirs)
        assert [it.text for it in many[pid].offers] == [it.text for it in alone.offers]
        assert [it.text for it in many[pid].requests] == [it.text for it in alone.requests]
    assert many["m2"].offer_vecs is None and many["m4"].requests == []


def test_cached_positions_cost_the_garbage_collector_nothing(rng: np.random.Generator) -> None:
    import gc

    items = profile(unit(rng, 3))
    items.append(Item("request", 0, "wir suchen Kork", unit(rng, 1)[0], "supply"))
    texts = ct.candidate_texts("m-gc", items)
    assert not gc.is_tracked(texts.derived.rows)  # ranges, not slices: the dict is not tracked either
    assert [it.text for it in texts.offers] == [it.text for it in items if it.role == "offer"]
    assert np.array_equal(texts.request_vecs, np.stack([items[-1].vector]))
