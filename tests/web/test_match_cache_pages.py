"""Match pages served again from the per-process cache (service/match_cache.py): identical to a
fresh ranking, fresh again after any write to the index (a profile edited through the web form,
in the worker process; a delete), and never handed to a caller the Guard refuses."""
from __future__ import annotations

import re
import time

import pytest

from service import EXTENSION, create_app
from service.access.keys import Principal
from service.errors import ForbiddenError
from tests.web.conftest import post, signed_in

TOKEN = re.compile(r'(csrf_token" value="|X-CSRFToken": ")[^"]+')


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return TOKEN.sub(r"\1…", response.get_data(as_text=True))  # the token carries a timestamp


def form_of(doc: dict) -> dict:
    """A stored member profile as the profile form posts it."""
    form: dict = {k: doc.get(k) or "" for k in ("name", "country", "region", "city", "sector", "description",
                                                   "language", "size_band")}
    for key in ("languages", "markets", "target_markets", "certifications", "nace"):
        form[key] = ", ".join(doc.get(key) or [])
    form["competences"] = "\n".join(doc.get("competences") or [])
    for key in ("cooperation_types", "value_chain_links"):
        form[key] = list(doc.get(key) or [])
    for key in ("offers", "requests"):
        rows = doc.get(key) or []
        form[f"{key}-count"] = str(len(rows))
        for i, row in enumerate(rows):
            for f in ("type", "link", "text"):
                form[f"{key}-{i}-{f}"] = row.get(f) or ""
    for f, value in (doc.get("contact") or {}).items():
        form[f"contact-{f}"] = value or ""
    return form


def test_suggestions_again_from_cache_then_fresh_after_a_profile_edited_in_the_form(mail_app) -> None:
    svc = mail_app.extensions[EXTENSION]
    sme = signed_in(mail_app, "member", "t-fr-sme")
    first = page(sme, "/app/me/suggestions")
    misses = svc.match_cache.misses
    assert page(sme, "/app/me/suggestions") == first and svc.match_cache.misses == misses  # no ranking again

    suggested = svc.overview(Principal("test:t-fr-sme", "member", "t-fr-sme")).suggestions("t-fr-sme")["items"][0]
    doc = svc.index.get("members", suggested["member_id"])
    assert doc["name"] in first
    renamed = f"{doc['name']} (nouvelle raison sociale)"
    owner = signed_in(mail_app, "member", doc["id"])
    saved = post(owner, "/app/me/profile", {**form_of(doc), "name": renamed}, token_page="/app/me/profile")
    assert saved.status_code == 200, saved.get_data(as_text=True)[:800]
    deadline = time.monotonic() + 120  # the worker ingests the edit in its own process
    while svc.index.get("members", doc["id"])["name"] != renamed and time.monotonic() < deadline:
        time.sleep(0.2)
    assert svc.index.get("members", doc["id"])["name"] == renamed
    fresh = page(sme, "/app/me/suggestions")
    assert renamed in fresh and svc.match_cache.misses > misses


def test_value_chain_and_consortia_cached_for_the_owner_only_and_dropped_on_delete(web_app, seeded) -> None:
    svc = web_app.extensions[EXTENSION]
    manager = signed_in(web_app, "cluster_manager", "t-fr-aero")
    chain, consortia = page(manager, "/app/cluster"), page(manager, "/app/cluster/consortia")
    misses = svc.match_cache.misses
    assert page(manager, "/app/cluster") == chain and page(manager, "/app/cluster/consortia") == consortia
    assert svc.match_cache.misses == misses

    # Another cluster's manager is refused even though the answer is cached; an admin may look.
    other = svc.overview(Principal("test:t-de-surface", "cluster_manager", "t-de-surface"))
    with pytest.raises(ForbiddenError):
        other.value_chain("t-fr-aero")
    with pytest.raises(ForbiddenError):
        other.consortia("t-fr-aero")
    admin = signed_in(web_app, "admin", None)
    assert page(admin, "/app/cluster?cluster=t-fr-aero").count("<tr") == chain.count("<tr")

    data = svc.overview(Principal("test:t-fr-aero", "cluster_manager", "t-fr-aero")).value_chain("t-fr-aero")
    filler = next(f for link in data["links"] for f in link["fillers"] if f["kind"] == "members")
    assert filler["name"] in chain
    svc.index.delete("members", [filler["id"]])
    after = page(manager, "/app/cluster")
    assert filler["name"] not in after and svc.match_cache.misses > misses


def test_a_second_worker_takes_the_ranking_from_redis_until_the_data_changes(web_app, seeded, embedder,
                                                                              redis_url: str) -> None:
    first_svc = web_app.extensions[EXTENSION]
    settings = first_svc.settings
    second = create_app({"data_dir": settings.data_dir, "embedder": embedder, "redis_url": redis_url,
                         "model_name": embedder.name, "public_url": "https://maillon.example"})
    second_svc = second.extensions[EXTENSION]
    chain = page(signed_in(web_app, "cluster_manager", "t-fr-aero"), "/app/cluster")
    manager = signed_in(second, "cluster_manager", "t-fr-aero")
    assert page(manager, "/app/cluster") == chain
    assert second_svc.shared_match_cache.hits == 2  # both searches of the chart, ranked by the other process
    data = first_svc.overview(Principal("test:t-fr-aero", "cluster_manager", "t-fr-aero")).value_chain("t-fr-aero")
    filler = next(f for link in data["links"] for f in link["fillers"] if f["kind"] == "members")
    first_svc.index.delete("members", [filler["id"]])  # written by the first process
    assert filler["name"] not in page(manager, "/app/cluster") and second_svc.shared_match_cache.hits == 2


def test_a_members_suggestions_are_ranked_in_the_background_when_they_sign_in(mail_app) -> None:
    from rq.job import Job

    from service.page_warmup import JOB

    svc = mail_app.extensions[EXTENSION]
    member = next(m for m in mail_app.config["seeded"]["members"] if m != "t-fr-sme")
    queue = svc.queue.queue
    earlier = set(queue.finished_job_registry.get_job_ids())  # e.g. this member's sign-in in another test
    client = signed_in(mail_app, "member", member)
    deadline, done = time.monotonic() + 120, None
    while done is None and time.monotonic() < deadline:
        fresh = [i for i in queue.finished_job_registry.get_job_ids() if i not in earlier]
        jobs = Job.fetch_many(fresh, connection=queue.connection)
        done = next((j for j in jobs if j and j.func_name == JOB and j.return_value()["member"] == member), None)
        time.sleep(0.2)
    assert done is not None and "skipped" not in done.return_value()
    shared_hits = svc.shared_match_cache.hits
    html = page(client, "/app/me/suggestions")  # the first view in this process
    assert svc.shared_match_cache.hits == shared_hits + 1  # ranked by the worker, not here
    best = svc.overview(Principal(f"test:{member}", "member", member)).suggestions(member)["items"][0]
    assert best["name"] in html
