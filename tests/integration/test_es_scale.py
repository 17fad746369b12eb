"""The Elasticsearch path at scale (issue 16): few requests per match, counted at the transport,
with the same answers as the embedded default; whole-collection reads past the 10,000-hit window.

Runs on noida-db (or ES_URL); each test uses its own `test-` prefix and drops its indices.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch

from indexers.pipeline import ingest
from indexers.sources import read_records
from service.index.base import IndexedProfile, Item, ProfileFilter
from service.index.elastic import ElasticIndex
from service.index.embedded import EmbeddedIndex
from service.matching.filters import MatchRequest
from service.matching.matcher import Matcher
from service.settings import REPO_CONFIG_DIR
from tests.support.index_data import DIMS, MODEL, axis, prefix

DATA = Path(__file__).parent.parent / "data"
pytestmark = pytest.mark.elasticsearch


class Counter:
    def __init__(self) -> None:
        self.requests: list[str] = []

    def node_class(self) -> type:
        counter = self

        class CountingNode(Urllib3HttpNode):
            def perform_request(self, method: str, target: str, *args: Any, **kwargs: Any) -> Any:
                counter.requests.append(f"{method} {target.split('?')[0]}")
                return super().perform_request(method, target, *args, **kwargs)

        return CountingNode


def counted_index(es_url: str, index_prefix: str, counter: Counter) -> ElasticIndex:
    return ElasticIndex(lambda: Elasticsearch(es_url, node_class=counter.node_class(), request_timeout=30),
                        es_url, index_prefix, REPO_CONFIG_DIR / "mappings", replicas=0)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, es_url: str, embedder: Any, domain: Any) -> Iterator[dict]:
    """The match test data ingested into both backends by the real pipeline and model."""
    counter = Counter()
    es = counted_index(es_url, prefix(), counter)
    es.check_model(embedder.name, embedder.dims)
    embedded = EmbeddedIndex(tmp_path_factory.mktemp("scale") / "s.sqlite3")
    for index in (es, embedded):
        for kind in ("clusters", "members"):
            report = ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, index, embedder, domain)
            assert report.ok, report.errors
    yield {"es": Matcher(es, embedder, domain), "embedded": Matcher(embedded, embedder, domain), "counter": counter}
    es.drop()
    es.close()


REQUESTS = [
    MatchRequest(target="members", text="buscamos un proveedor de anodizado de aluminio", country="ES"),
    MatchRequest(target="members", text="Wir suchen Prüflabore für Verbundwerkstoffe", country="DE"),
    MatchRequest(target="clusters", text="partenaire pour traitement de surface aéronautique", country="FR"),
    MatchRequest(target="members", text="wine bottling line maintenance", country="IT", limit=20),
]


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: r.text[:24])
def test_free_text_match_takes_at_most_three_requests(both: dict, req: MatchRequest) -> None:
    counter = both["counter"]
    both["es"].find(req)  # warm: the first use reads the server version once per process
    counter.requests.clear()
    page = both["es"].find(req)
    assert len(counter.requests) <= 3, counter.requests
    assert page.total > 0


@pytest.mark.parametrize("seeker", [("clusters", "t-fr-aero", "clusters"), ("members", "t-fr-sme", "members"),
                                    ("members", "t-fr-sme", "clusters"), ("clusters", "t-fr-aero", "members")])
def test_stored_seeker_match_takes_at_most_three_requests(both: dict, seeker: tuple) -> None:
    """The seeker with its items and coverage reads, every retrieval search, the candidates with
    their items: one _msearch each, however many candidates (limit 1 or 20)."""
    kind, sid, target = seeker
    counter = both["counter"]
    counts = []
    for limit in (1, 20):
        counter.requests.clear()
        page = both["es"].find(MatchRequest(target=target, seeker_kind=kind, seeker_id=sid, limit=limit))
        counts.append(len(counter.requests))
        assert all(r.endswith("/_msearch") for r in counter.requests), counter.requests
    assert counts[0] == counts[1] and counts[0] <= 3, counter.requests
    assert page.total > 1


def test_both_backends_give_the_same_matches(both: dict) -> None:
    requests = [*REQUESTS, MatchRequest(target="clusters", seeker_kind="clusters", seeker_id="t-fr-aero"),
                MatchRequest(target="members", seeker_kind="members", seeker_id="t-fr-sme"),
                MatchRequest(target="clusters", seeker_kind="members", seeker_id="t-fr-sme"),
                MatchRequest(target="members", seeker_kind="clusters", seeker_id="t-fr-aero")]
    for req in requests:
        es = [(m.id, round(m.score, 3)) for m in both["es"].find(req).items]
        embedded = [(m.id, round(m.score, 3)) for m in both["embedded"].find(req).items]
        assert es == embedded, req


# -- past the window ------------------------------------------------------------------------
N_BIG = 10_250


def big_members() -> Iterator[IndexedProfile]:
    """10,250 members of one cluster, named so that name order differs from id order; every
    50th has an item (a whole-collection read must join them across pages)."""
    for i in range(N_BIG):
        pid = f"m{i:05d}"
        items = [Item("offer", 0, f"offre {i}", axis(i % DIMS))] if i % 50 == 0 else []
        doc = {"id": pid, "name": f"Membre {(i * 7919) % N_BIG:05d}", "country": "FR", "clusters": ["big"],
               "offers": [{"type": "service", "text": f"offre {i}"}] if items else []}
        yield IndexedProfile("members", pid, doc, f"h{i}", items)


@pytest.fixture(scope="module")
def big(es_url: str) -> Iterator[ElasticIndex]:
    index = counted_index(es_url, prefix(), Counter())
    index.check_model(MODEL, DIMS)
    index.rebuild("members", big_members(), batch_size=2_000)
    yield index
    index.drop()
    index.close()


def expected_order() -> list[str]:
    return [p.id for p in sorted(big_members(), key=lambda p: (p.doc["name"], p.id))]


def test_deep_page_past_the_window(big: ElasticIndex) -> None:
    page = big.search("members", ProfileFilter(), 10_100, 100)
    assert page.total == N_BIG
    assert [d["id"] for d in page.items] == expected_order()[10_100:10_200]
    straddling = big.search("members", ProfileFilter(), 9_990, 20)
    assert [d["id"] for d in straddling.items] == expected_order()[9_990:10_010]


def test_whole_cluster_batch_listing(big: ElasticIndex) -> None:
    """A match batch over a whole cluster asks for up to 20,000 seekers in one listing."""
    page = big.search("members", ProfileFilter(clusters=frozenset({"big"})), 0, 20_000)
    assert page.total == N_BIG and [d["id"] for d in page.items] == expected_order()


def test_iter_profiles_reads_everything_with_items(big: ElasticIndex) -> None:
    seen = {p.id: p for p in big.iter_profiles("members", batch_size=3_000)}
    assert len(seen) == N_BIG
    with_items = {pid for pid, p in seen.items() if p.items}
    assert with_items == {f"m{i:05d}" for i in range(0, N_BIG, 50)}
    np.testing.assert_allclose(seen["m00050"].items[0].vector, axis(50 % DIMS))
