"""The demo's web part: a demo event and a working sign-in link for each demo role."""
from __future__ import annotations

from itertools import islice

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION
from service.access.keys import SYSTEM
from service.settings import REPO_CONFIG_DIR
from service.web.demo import DEMO_EVENT, demo_signin_links
from tests.web.conftest import browser, post

SAMPLE = REPO_CONFIG_DIR.parent / "indexers" / "sample_data"


def test_demo_links_sign_in_each_role(web_app) -> None:
    svc = web_app.extensions[EXTENSION]
    for kind, count in (("clusters", 12), ("members", 60)):  # the first sample records: the demo's cluster
        records = list(islice(read_records(SAMPLE / f"{kind}.jsonl", kind), count))
        assert ingest(records, kind, svc.index, svc.embedder, svc.domain).ok
    links = demo_signin_links(svc, "http://127.0.0.1:5114")
    assert set(links) == {"organiser", "member", "cluster_manager"}
    homes = {"organiser": "/app/events", "member": "/app/me", "cluster_manager": "/app/cluster"}
    for role, url in links.items():
        assert url.startswith("http://127.0.0.1:5114/app/signin/")
        path = url[len("http://127.0.0.1:5114"):]
        client = browser(web_app)
        signed = post(client, path, token_page=path)
        assert signed.headers["Location"] == homes[role]
        assert client.get(homes[role]).status_code == 200
    assert len(svc.event_service(SYSTEM).participants(DEMO_EVENT)) > 10
    assert demo_signin_links(svc)  # a second run reuses the event
