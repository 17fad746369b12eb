"""What the Elasticsearch backend sends and how it reads a real server's refusals (issue 16,
point 7): checked on the requests the real client builds, over a scripted node (no server)."""
from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from service.errors import BackendRequestError, BackendUnavailableError, ConfigurationError, InvalidRequestError
from service.index.base import ProfileFilter
from service.index.elastic import ElasticIndex, check_client_version
from service.settings import REPO_CONFIG_DIR
from tests.support.fake_es import FakeServer, bulk_answer
from tests.support.index_data import DIMS, MODEL, clusters

ROOT = Path(__file__).resolve().parent.parent.parent


def make_index(server: FakeServer, replicas: int | None = None) -> ElasticIndex:
    return ElasticIndex(server.client, "http://fake-es:9200", "unit", REPO_CONFIG_DIR / "mappings", replicas)


def error(status: int, kind: str, reason: str) -> tuple[int, Any]:
    return status, {"error": {"type": kind, "reason": reason, "root_cause": [{"type": kind}]}, "status": status}


def test_pyproject_pins_the_client_below_the_next_server_major() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if d.startswith("elasticsearch"))
    assert "<9" in spec.replace(" ", "") and ">=8.13" in spec


def test_client_asks_for_version_8_compatibility() -> None:
    server = FakeServer()
    make_index(server).count("clusters")
    accept = server.sent[0].headers["accept"]
    assert "compatible-with=8" in accept, accept


def test_client_newer_than_server_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="install elasticsearch>=7.13,<8"):
        check_client_version((7, 17), "http://es:9200")
    check_client_version((8, 15), "http://es:9200")
    check_client_version((9, 1), "http://es:9200")  # REST compatibility with 8.x clients


def test_refused_version_headers_say_which_client_to_install() -> None:
    server = FakeServer(routes={("GET", "/"): error(400, "media_type_header_exception", "Invalid media-type")})
    server.answer = lambda req: error(400, "media_type_header_exception", "Invalid media-type value")  # type: ignore
    with pytest.raises(ConfigurationError, match="elasticsearch>=8.13,<9"):
        make_index(server).count("clusters")


@pytest.mark.parametrize(("status", "kind", "expected", "words"), [
    (400, "parsing_exception", BackendRequestError, "could not list profiles"),
    (401, "security_exception", ConfigurationError, "ES_API_KEY"),
    (403, "security_exception", ConfigurationError, "monitor"),
    (429, "es_rejected_execution_exception", BackendUnavailableError, "429"),
    (503, "cluster_block_exception", BackendUnavailableError, "503"),
])
def test_errors_are_mapped_by_cause(status: int, kind: str, expected: type, words: str,
                                    caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(routes={("POST", "/_search"): error(status, kind, f"{kind} for test")})
    with caplog.at_level(logging.ERROR, logger="service.index.es_errors"), pytest.raises(expected) as raised:
        make_index(server).search("clusters", ProfileFilter(), 0, 10)
    assert not isinstance(raised.value, InvalidRequestError)  # never blamed on the caller (422)
    assert words in raised.value.message
    # A body the server refuses is our bug: it is logged for the operator, the caller gets a 500.
    assert bool(caplog.records) == (expected is BackendRequestError)


def test_bulk_retries_rejected_items_with_backoff_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    import elasticsearch.helpers.actions as actions

    sleeps: list[float] = []
    monkeypatch.setattr(actions.time, "sleep", sleeps.append)
    attempts = {"n": 0}
    busy = bulk_answer({"fr-aero": 429})
    fine = bulk_answer({})

    def route(req: Any) -> Any:
        attempts["n"] += 1
        return busy(req) if attempts["n"] == 1 else fine(req)

    server = FakeServer(routes={("PUT", "/_bulk"): route,
                                ("POST", "/_search"): (200, {"hits": {"hits": [], "total": {"value": 0}}})})
    index = make_index(server)
    index.check_model(MODEL, DIMS)
    index.upsert("clusters", clusters())
    bulks = server.requests("PUT", "/_bulk")
    assert len(bulks) == 2 and sleeps and sleeps[0] >= 1
    retried = [line["index"]["_id"] for line in bulks[1].body if "index" in line]
    assert retried == ["fr-aero"]  # only the rejected document is sent again


def test_bulk_reports_each_refused_item_and_what_was_written(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer(routes={("PUT", "/_bulk"): bulk_answer({"de-luft": 400}),
                                ("POST", "/_search"): (200, {"hits": {"hits": [], "total": {"value": 0}}})})
    index = make_index(server)
    index.check_model(MODEL, DIMS)
    with pytest.raises(BackendRequestError) as raised:
        index.upsert("clusters", clusters())
    sent = sum(1 for line in server.requests("PUT", "/_bulk")[0].body if "index" in line)
    assert f"1 of {sent} document(s)" in raised.value.message and "de-luft" in raised.value.message
    assert [d["id"] for d in raised.value.errors] == ["de-luft"]
    assert raised.value.errors[0]["type"] == "document_parsing_exception"


def test_ingest_forces_no_refresh() -> None:
    server = FakeServer(routes={("PUT", "/_bulk"): bulk_answer({}),
                                ("POST", "/_search"): (200, {"hits": {"hits": [], "total": {"value": 0}}})})
    index = make_index(server)
    index.check_model(MODEL, DIMS)
    server.sent.clear()
    index.upsert("clusters", clusters())
    assert not server.requests(suffix="/_refresh") and not server.requests(suffix="/_delete_by_query")
    assert [b.params.get("refresh") for b in server.requests("PUT", "/_bulk")] == [["wait_for"]]


def test_new_indices_use_dot_product_and_the_configured_replicas() -> None:
    server = FakeServer()
    make_index(server, replicas=0).check_model(MODEL, DIMS)
    created = {r.path.strip("/"): r.body for r in server.requests("PUT")}
    items = next(body for name, body in created.items() if name.startswith("unit-clusters-items-"))
    assert items["mappings"]["properties"]["vector"]["similarity"] == "dot_product"
    assert all(body["settings"]["number_of_replicas"] == 0 for body in created.values())
    assert len(created) == 4


def test_no_info_log_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(routes={("POST", "/_search"): (200, {"hits": {"hits": [], "total": {"value": 0}}})})
    index = make_index(server)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            index.search("clusters", ProfileFilter(), 0, 10)
    assert len(server.sent) >= 4
    assert not [r for r in caplog.records if r.levelno <= logging.INFO and r.name.startswith("elastic")]


def test_items_of_many_candidates_in_one_request() -> None:
    hits = [{"_id": f"p{i}\x1foffer\x1f0", "sort": [f"p{i}", "offer", 0],
             "_source": {"profile_id": f"p{i}", "role": "offer", "pos": 0, "text": "t", "vector": [1.0] + [0.0] * 7}}
            for i in range(150)]
    server = FakeServer(routes={("POST", "/_search"): (200, {"hits": {"hits": hits, "total": {"value": 150}}})})
    index = make_index(server)
    items = index.items_many("members", [f"p{i}" for i in range(150)])
    searches = server.requests("POST", "/_search")
    assert len(searches) == 1 and len(items) == 150 and all(len(v) == 1 for v in items.values())
    assert searches[0].body["query"]["bool"]["filter"][0]["terms"]["profile_id"][:2] == ["p0", "p1"]


def test_listing_beyond_the_window_uses_a_point_in_time() -> None:
    def page(req: Any) -> Any:
        assert "from" not in req.body and req.body["pit"]["id"] == "pit-1"
        return 200, {"pit_id": "pit-1", "hits": {"total": {"value": 3}, "hits": []}}

    server = FakeServer(routes={("POST", "/_pit"): (200, {"id": "pit-1"}), ("POST", "/_search"): page})
    page_ = make_index(server).search("members", ProfileFilter(), 10_000, 20)
    assert page_.total == 3 and page_.items == []
    assert server.requests("DELETE", "/_pit")  # closed after the read


def test_a_forked_child_opens_its_own_client() -> None:
    opened: list[Any] = []
    server = FakeServer()

    def factory() -> Any:
        opened.append(server.client())
        return opened[-1]

    index = ElasticIndex(factory, "http://fake-es:9200", "unit", REPO_CONFIG_DIR / "mappings")
    assert index.es is index.es and len(opened) == 1  # opened lazily, once per process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new client, not the parent's
        try:
            index.after_fork()
            ok = index.es is not opened[0] and len(opened) == 2
        except BaseException:
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert index.es is opened[0]  # the parent keeps its own
    index.close()
    assert index.es is not opened[0]  # reopened on next use after close
