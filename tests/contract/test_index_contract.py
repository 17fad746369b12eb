"""The ProfileIndex contract, run against both backends (embedded and Elasticsearch).

Only what real Elasticsearch guarantees is asserted: order by score, never exact scores or
BM25 values. Vectors are small deterministic unit vectors, so no model is loaded.

Elasticsearch runs on a throwaway noida-db server by default; to run against a real server:

    ES_URL=http://localhost:9200 pytest tests/contract

Each test uses its own `test-<hex>` index prefix and deletes its indices afterwards.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.errors import ConfigurationError
from service.index.base import IndexedProfile, ProfileFilter
from tests.support.index_data import DIMS, MODEL, axis, clusters, es_settings, members, prefix, profile, same_profile

Opener = Callable[[], Any]


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens a handle on one fresh storage (a new handle = what a restarted process sees)."""
    opened: list[Any] = []
    if request.param == "embedded":
        from service.index.embedded import EmbeddedIndex

        def open_index() -> Any:
            opened.append(EmbeddedIndex(tmp_path / "store.sqlite3"))
            return opened[-1]
    else:
        from service.index.elastic import ElasticIndex

        settings = es_settings(request.getfixturevalue("es_url"), tmp_path, prefix())

        def open_index() -> Any:
            opened.append(ElasticIndex.from_settings(settings))
            return opened[-1]
    yield open_index
    if request.param == "elasticsearch" and opened:
        opened[0].drop()
        for index in opened:
            index.es.close()


@pytest.fixture
def index(opener: Opener) -> Any:
    idx = opener()
    idx.check_model(MODEL, DIMS)
    return idx


@pytest.fixture
def loaded(index: Any) -> Any:
    index.upsert("clusters", clusters())
    index.upsert("members", members())
    return index


def ids(page: Any) -> list[str]:
    return [d["id"] for d in page.items]


def search(index: Any, kind: str = "clusters", offset: int = 0, limit: int = 50, **flt: Any) -> Any:
    return index.search(kind, ProfileFilter(**flt), offset, limit)


def test_fresh_index_is_empty(opener: Opener) -> None:
    index = opener()  # no check_model: nothing created yet, reads still answer
    assert index.count("clusters") == 0
    assert index.get("clusters", "fr-aero") is None
    assert search(index).total == 0
    assert index.knn("clusters", "offer", axis(1)[None, :], 3, ProfileFilter()) == [[]]
    assert index.items("clusters", "fr-aero") == []
    assert list(index.iter_profiles("clusters")) == []


def test_upsert_get_hashes_count_delete(loaded: Any) -> None:
    data = {p.id: p for p in clusters()}
    assert loaded.count("clusters") == 4 and loaded.count("members") == 3
    assert loaded.get("clusters", "fr-aero") == data["fr-aero"].doc
    assert loaded.get("clusters", "nope") is None
    many = loaded.get_many("clusters", ["fr-aero", "es-agro", "nope"])
    assert set(many) == {"fr-aero", "es-agro"} and many["es-agro"]["name"] == "Agro Valencia"
    hashes = loaded.hashes("clusters", ["fr-aero", "de-luft", "nope"])
    assert set(hashes) == {"fr-aero", "de-luft"} and hashes["fr-aero"].startswith("hash-fr-aero")
    assert loaded.delete("clusters", ["fr-aero", "nope"]) == 1
    assert loaded.get("clusters", "fr-aero") is None and loaded.count("clusters") == 3
    assert loaded.items("clusters", "fr-aero") == []
    hits = loaded.knn("clusters", "offer", axis(1)[None, :], 10, ProfileFilter())[0]
    assert "fr-aero" not in {h.profile_id for h in hits}


@pytest.mark.parametrize(("flt", "expected"), [
    ({}, {"fr-aero", "de-luft", "es-agro", "it-agro"}),
    ({"countries": frozenset({"FR", "ES"})}, {"fr-aero", "es-agro"}),
    ({"exclude_countries": frozenset({"FR", "DE"})}, {"es-agro", "it-agro"}),
    ({"sectors": frozenset({"agrifood"})}, {"es-agro", "it-agro"}),
    ({"org_types": frozenset({"spl", "competitiveness_cluster"})}, {"fr-aero", "it-agro"}),
    ({"ids": frozenset({"de-luft", "it-agro", "nope"})}, {"de-luft", "it-agro"}),
    ({"ids": frozenset()}, set()),
    ({"sectors": frozenset({"aeronautics"}), "countries": frozenset({"ES"})}, set()),
    ({"text": "usinage"}, {"fr-aero"}),
    ({"text": "PRÉCISION"}, {"fr-aero"}),
    ({"text": "usinage aeronautique"}, {"fr-aero"}),  # every word must match; accents do not matter
    ({"text": "usinage alimentos"}, set()),
    ({"text": "Luftfahrt"}, {"de-luft"}),  # the name is searchable
])
def test_search_filters(loaded: Any, flt: dict[str, Any], expected: set[str]) -> None:
    page = search(loaded, **flt)
    assert set(ids(page)) == expected and page.total == len(expected)


def test_search_exclude_ids(loaded: Any) -> None:
    assert set(ids(search(loaded, exclude_ids=frozenset({"fr-aero"})))) == {"de-luft", "es-agro", "it-agro"}


def test_search_members_by_cluster(loaded: Any) -> None:
    assert set(ids(search(loaded, "members", clusters=frozenset({"fr-aero"})))) == {"fr-aero-0001", "fr-both-0001"}
    assert set(ids(search(loaded, "members", clusters=frozenset({"de-luft"}), org_types=frozenset({"sme"})))) == set()


def test_pagination_totals_and_stable_order(loaded: Any) -> None:
    pages = [search(loaded, offset=o, limit=3) for o in (0, 3, 6)]
    assert [p.total for p in pages] == [4, 4, 4]
    assert [len(p.items) for p in pages] == [3, 1, 0]
    seen = ids(pages[0]) + ids(pages[1])
    assert sorted(seen) == sorted(["fr-aero", "de-luft", "es-agro", "it-agro"])
    names = [d["name"] for p in pages for d in p.items]
    assert names == sorted(names)  # by name, like the embedded store
    filtered = search(loaded, offset=1, limit=1, sectors=frozenset({"aeronautics"}))
    assert filtered.total == 2 and len(filtered.items) == 1


def test_knn_nearest_first_and_filters(loaded: Any) -> None:
    hits = loaded.knn("clusters", "offer", axis(1)[None, :], 3, ProfileFilter())[0]
    assert [h.profile_id for h in hits] == ["fr-aero", "de-luft", "it-agro"]
    assert all(h.role == "offer" and h.pos == 0 for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.98  # cosine, not (1+cos)/2
    assert all(-1.0 <= s <= 1.0001 for s in scores)
    far = loaded.knn("clusters", "offer", axis(4)[None, :], 1, ProfileFilter())[0]
    assert (far[0].profile_id, far[0].pos) == ("de-luft", 1)

    def nearest(**flt: Any) -> list[str]:
        return [h.profile_id for h in loaded.knn("clusters", "offer", axis(1)[None, :], 4, ProfileFilter(**flt))[0]]

    assert nearest(exclude_countries=frozenset({"FR"}))[0] == "de-luft"
    assert nearest(countries=frozenset({"IT", "ES"}))[0] == "it-agro"
    assert nearest(sectors=frozenset({"agrifood"}))[0] == "it-agro"
    assert nearest(org_types=frozenset({"cluster"}))[0] == "de-luft"
    assert set(nearest(ids=frozenset({"es-agro"}))) == {"es-agro"}
    assert nearest(exclude_ids=frozenset({"fr-aero", "de-luft"}))[0] == "it-agro"
    assert nearest(ids=frozenset()) == []
    members_hits = loaded.knn("members", "request", axis(1)[None, :], 5, ProfileFilter(clusters=frozenset({"de-luft"})))
    assert [h.profile_id for h in members_hits[0]] == ["de-luft-0001"]


def test_knn_many_queries_one_row_each(loaded: Any) -> None:
    rows = loaded.knn("clusters", "profile", np.stack([axis(0), axis(3), axis(6)]), 1, ProfileFilter())
    assert [[h.profile_id for h in row] for row in rows] == [["fr-aero"], ["de-luft"], ["es-agro"]]
    assert loaded.knn("clusters", "profile", np.zeros((0, DIMS), dtype=np.float32), 3, ProfileFilter()) == []


def test_items_round_trip(loaded: Any) -> None:
    source = {p.id: p for p in clusters()}["de-luft"]
    items = loaded.items("clusters", "de-luft")
    assert [(i.role, i.pos) for i in items] == sorted((i.role, i.pos) for i in source.items)
    by_key = {(i.role, i.pos): i for i in source.items}
    for item in items:
        expected = by_key[(item.role, item.pos)]
        assert (item.text, item.type, item.link) == (expected.text, expected.type, expected.link)
        np.testing.assert_allclose(item.vector, expected.vector, atol=1e-6)


def test_iter_profiles_returns_everything(loaded: Any) -> None:
    source = {p.id: p for p in clusters()}
    got = {p.id: p for p in loaded.iter_profiles("clusters", batch_size=3)}
    assert set(got) == set(source)
    for pid, p in got.items():
        assert p.kind == "clusters"
        assert same_profile(IndexedProfile(p.kind, p.id, p.doc, source[pid].content_hash, p.items), source[pid])
        assert p.content_hash.startswith(f"hash-{pid}")


def test_reupsert_replaces_items(loaded: Any) -> None:
    slim = profile("clusters", "de-luft", {("profile", 0): axis(3), ("offer", 0): axis(7)},
                   country="DE", sector="aeronautics", kind="cluster", name="Luftfahrt BW")
    loaded.upsert("clusters", [slim])
    assert [(i.role, i.pos) for i in loaded.items("clusters", "de-luft")] == [("offer", 0), ("profile", 0)]
    for role, vector in (("offer", axis(4)), ("request", axis(5)), ("offer", axis(1, 0.3))):
        hits = loaded.knn("clusters", role, vector[None, :], 4, ProfileFilter(ids=frozenset({"de-luft"})))[0]
        assert all(h.pos == 0 for h in hits) and (role == "offer" or not hits)
    assert loaded.hashes("clusters", ["de-luft"]) == {"de-luft": slim.content_hash}
    assert loaded.count("clusters") == 4


def test_check_model_rejects_other_dims(loaded: Any, opener: Opener) -> None:
    restarted = opener()
    restarted.check_model(MODEL, DIMS)  # same model: fine
    with pytest.raises(ConfigurationError) as err:
        opener().check_model(MODEL, DIMS * 2)
    assert str(DIMS) in err.value.message and str(DIMS * 2) in err.value.message


def test_rebuild_swaps_atomically(loaded: Any) -> None:
    if not hasattr(loaded, "rebuild"):
        pytest.skip("the embedded backend writes in place (one transaction per batch)")
    before = set(ids(search(loaded)))
    fresh = [profile("clusters", f"pl-{n}", {("profile", 0): axis(n % DIMS)}, country="PL", sector="energy")
             for n in range(5)]

    def feed() -> Iterator[IndexedProfile]:
        for n, p in enumerate(fresh):
            if n == 3:  # midway: readers still see the old index, whole
                assert set(ids(search(loaded))) == before and loaded.count("clusters") == 4
                assert loaded.get("clusters", "pl-0") is None
            yield p

    assert loaded.rebuild("clusters", feed(), batch_size=2) == 5
    assert set(ids(search(loaded))) == {p.id for p in fresh}
    assert loaded.get("clusters", "fr-aero") is None and loaded.items("clusters", "fr-aero") == []
    nearest = loaded.knn("clusters", "profile", axis(2)[None, :], 1, ProfileFilter())[0]
    assert [h.profile_id for h in nearest] == ["pl-2"]
    assert loaded.count("members") == 3  # other kinds untouched


def test_failed_rebuild_keeps_old_data(loaded: Any) -> None:
    if not hasattr(loaded, "rebuild"):
        pytest.skip("embedded backend: no rebuild")

    def broken() -> Iterator[IndexedProfile]:
        yield profile("clusters", "pl-0", {("profile", 0): axis(0)}, country="PL")
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError):
        loaded.rebuild("clusters", broken(), batch_size=1)
    assert loaded.count("clusters") == 4 and loaded.get("clusters", "pl-0") is None


def test_hybrid_fuses_text_and_vectors(loaded: Any) -> None:
    if not hasattr(loaded, "hybrid"):
        pytest.skip("hybrid search is Elasticsearch-only")
    hits = loaded.hybrid("clusters", "alimentos", axis(6, 0.5), 3, ProfileFilter())
    found = [h.profile_id for h in hits]
    assert set(found[:2]) == {"es-agro", "it-agro"}  # one by words, one by vector, both by both
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    german = loaded.hybrid("clusters", "alimentos", axis(6), 3, ProfileFilter(countries=frozenset({"DE"})))
    assert [h.profile_id for h in german] == ["de-luft"]


def test_lexical_ranks_profiles_naming_the_words_within_the_filter(loaded: Any) -> None:
    """BM25 for free-text needs (hybrid retrieval): FTS5 on the embedded store, BM25 on ES."""
    ranked = loaded.lexical("clusters", "Präzisionsbearbeitung Flugzeugteilen", 5, ProfileFilter())
    assert ranked[:1] == ["de-luft"]
    assert "de-luft" not in loaded.lexical("clusters", "Präzisionsbearbeitung", 5,
                                           ProfileFilter(exclude_countries=frozenset({"DE"})))
    assert loaded.lexical("clusters", "?!", 5, ProfileFilter()) == []


# -- a match's batched reads (issue 16: three requests per match on Elasticsearch) ---------------
def test_knn_many_answers_as_single_searches(loaded: Any) -> None:
    from service.index.base import KnnSearch

    flt = ProfileFilter(exclude_ids=frozenset({"it-agro"}))
    searches = [KnnSearch("offer", np.stack([axis(1), axis(7)]), 2), KnnSearch("profile", axis(3)[None, :], 3),
                KnnSearch("offer", axis(1, 0.3)[None, :], 1), KnnSearch("request", np.zeros((0, DIMS)), 4)]
    got = loaded.knn_many("clusters", searches, flt)
    single = [loaded.knn("clusters", s.role, s.queries, s.k, flt) if len(s.queries) else [] for s in searches]
    assert [[[h.profile_id for h in row] for row in rows] for rows in got.hits] == \
        [[[h.profile_id for h in row] for row in rows] for rows in single]
    assert got.hits[0][0][0].profile_id in {"fr-aero", "de-luft"} and got.lexical is None
    assert loaded.knn_many("clusters", [], flt).hits == []


def test_knn_many_ranks_text_in_the_same_round(loaded: Any) -> None:
    from service.index.base import KnnSearch

    got = loaded.knn_many("clusters", [KnnSearch("offer", axis(1)[None, :], 2)], ProfileFilter(), ("Luftfahrt", 5))
    assert got.lexical == loaded.lexical("clusters", "Luftfahrt", 5, ProfileFilter())


def test_read_profile_and_candidates(loaded: Any) -> None:
    record = loaded.read_profile("members", "fr-both-0001", 1000)
    assert record.doc is not None and record.doc == loaded.get("members", "fr-both-0001")
    assert [(i.role, i.pos) for i in record.items] == [(i.role, i.pos) for i in loaded.items("members", "fr-both-0001")]
    if record.clusters is not None:  # read along (Elasticsearch): the member's clusters and their members
        assert set(record.clusters) == {"fr-aero", "de-luft"}
        assert record.members is not None and sorted(record.members) == ["de-luft", "fr-aero"]
        assert len(record.members["de-luft"]) == 2
    assert loaded.read_profile("members", "nobody", 1000).doc is None
    read = loaded.read_candidates("clusters", ["es-agro", "nobody", "fr-aero"], 1000)
    assert list(read.docs) == ["es-agro", "fr-aero"]
    assert read.docs["fr-aero"] == loaded.get("clusters", "fr-aero")
    single = loaded.items_many("clusters", ["es-agro", "fr-aero"])
    assert {pid: [(i.role, i.pos) for i in its] for pid, its in read.items.items() if its} == \
        {pid: [(i.role, i.pos) for i in its] for pid, its in single.items()}
