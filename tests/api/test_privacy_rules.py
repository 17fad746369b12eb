"""The visibility rule beyond markers: search and filters never select on hidden fields, private
values never change what others get, consent before contact, batch results belong to their
starter and go with the member."""
from __future__ import annotations

import copy

import pytest

from service import create_app
from tests.support.tenants import CLUSTERS, MEMBERS, build_world, ingest_docs, marker


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder, redis_url):
    app = create_app({"data_dir": tmp_path_factory.mktemp("rules"), "embedder": embedder,
                      "redis_url": redis_url, "model_name": embedder.name})
    return build_world(app, embedder)


def call(world, role, method, path, **kw):
    return world.client.open(path, method=method, headers={"X-API-Key": world.keys[role]}, **kw)


@pytest.mark.parametrize("field", ["description", "competences", "certifications", "offers", "city"])
def test_full_text_search_never_matches_a_private_field(world, field) -> None:
    for role in ("member_a2", "manager_a", "organiser_a", "admin"):
        body = call(world, role, "GET", f"/members?q={marker('mx-b1', field)}").get_json()
        assert body["total"] == 0 and not body["items"], (role, body)


def test_cluster_filter_never_matches_a_private_membership(world) -> None:
    def ids(role):
        return {m["id"] for m in call(world, role, "GET", "/members?cluster=cl-b&page_size=50").get_json()["items"]}

    assert ids("manager_b") == {"mx-b1", "mx-b2"}  # the manager sees its members, private or not
    assert ids("manager_a") == ids("member_a1") == ids("organiser_b") == {"mx-b1"}  # b2 keeps it private
    body = call(world, "member_a2", "POST", "/matches", json={"text": "anodisation aluminium", "target": "members",
                                                              "clusters": ["cl-b"], "page_size": 50}).get_json()
    assert "mx-b2" not in {m["id"] for m in body["items"]}


def test_certification_filter_never_matches_a_private_certification(world) -> None:
    body = call(world, "member_a2", "POST", "/matches", json={
        "text": "usinage de précision", "target": "members", "page_size": 50,
        "certifications": [marker("mx-b1", "certifications")]}).get_json()
    assert body["items"] == []


def test_private_values_never_change_what_others_get(world, embedder) -> None:
    """Change every private numeric and list value of tenant B: tenant A's results stay the same."""
    def results():
        out = []
        for role, body in (("member_a2", {"seeker": {"kind": "members", "id": "mx-a2"}, "target": "members"}),
                           ("manager_a", {"seeker": {"kind": "clusters", "id": "cl-a"}}),
                           ("organiser_a", {"text": "anodisation dure de l'aluminium", "target": "members"})):
            out.append(call(world, role, "POST", "/matches", json={**body, "page_size": 50}).get_json())
        return out

    before = results()
    changed_members = copy.deepcopy([m for m in MEMBERS if m["id"].startswith("mx-b")])
    for m in changed_members:
        m.update(active_cooperations=0, markets=["IS", "MT", "FR"], certifications=["EN 9100"],
                 description="Anodisation dure et usinage de précision, le partenaire idéal")
        if m["visibility"].get("offers") == "private":  # b1: its private offer now answers a2's need word for word
            m["offers"] = [{"type": "service", "text": "Anodisation de l'aluminium pour l'aéronautique",
                            "link": "surface_treatment"}]
    changed_cluster = copy.deepcopy(CLUSTERS[1])
    changed_cluster["networks"] = CLUSTERS[0]["networks"]  # would be "shared networks" if it counted
    ingest_docs(world.services, embedder, "members", changed_members)
    ingest_docs(world.services, embedder, "clusters", [changed_cluster])
    try:
        assert results() == before
    finally:
        ingest_docs(world.services, embedder, "members", [m for m in MEMBERS if m["id"].startswith("mx-b")])
        ingest_docs(world.services, embedder, "clusters", [CLUSTERS[1]])


def test_acting_only_as_oneself(world) -> None:
    for role, body in (("member_a1", {"seeker": {"kind": "members", "id": "mx-b1"}}),
                       ("manager_a", {"seeker": {"kind": "clusters", "id": "cl-b"}}),
                       ("manager_a", {"seeker": {"kind": "members", "id": "mx-b2"}})):
        assert call(world, role, "POST", "/consortia", json=body).status_code == 403
    ev_b = world.ids["B"]["event"]
    # A manager's own cluster does not open someone else's event.
    assert call(world, "manager_a", "POST", "/match-batches",
                json={"cluster": "cl-a", "event_id": ev_b}).status_code in (403, 422)
    assert call(world, "manager_b", "GET", "/match-batches/batch_a/results.csv").status_code == 403
    assert call(world, "manager_a", "GET", "/match-batches/batch_a/results.csv").status_code == 200


def test_consent_before_contact(world) -> None:
    ev_a, invited = world.ids["A"]["event"], world.ids["A"]["p_invited"]
    listed = {p["id"]: p for p in call(world, "organiser_a", "GET", f"/events/{ev_a}/participants").get_json()}
    assert listed[invited]["status"] == "invited"
    # Nobody but the member answers its invitation; then it takes part, once.
    answer = f"/events/{ev_a}/participants/{invited}/invitation/accept"
    assert call(world, "organiser_a", "POST", answer).status_code == 403
    assert call(world, "admin", "POST", answer).status_code == 403
    again = call(world, "member_a2", "POST", f"/events/{ev_a}/participants", json={"member_id": "mx-a2"})
    assert again.status_code == 409
    # An invited participant cannot be sent requests (the organiser cannot harvest its contact).
    p_member = world.ids["A"]["p_member"]
    sent = call(world, "member_a1", "POST", f"/events/{ev_a}/participants/{p_member}/requests", json={"to": invited})
    assert sent.status_code == 409
    accepted = call(world, "member_a2", "POST", f"/events/{ev_a}/participants/{invited}/invitation/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "registered"
    rid = call(world, "member_a1", "POST", f"/events/{ev_a}/participants/{p_member}/requests",
               json={"to": invited}).get_json()["id"]
    for role in ("organiser_a", "admin", "member_a1"):  # only the addressee answers
        assert call(world, role, "POST", f"/events/{ev_a}/requests/{rid}/accept").status_code == 403
    assert call(world, "member_a2", "POST", f"/events/{ev_a}/requests/{rid}/accept").status_code == 200


def test_member_deletion_takes_batch_results_and_export_lists_them(world) -> None:
    export = call(world, "member_b2", "GET", "/members/mx-b2/export").get_json()
    held = {entry["batch"] for entry in export["batch_results"]}
    assert "batch_b" in held
    gone = call(world, "member_b2", "DELETE", "/members/mx-b2").get_json()
    assert gone["batch_results_removed"] >= 1
    assert call(world, "manager_b", "GET", "/match-batches/batch_b/results.json").status_code == 404


def test_anonymous_health_says_up_or_down_only(world) -> None:
    anonymous = world.client.get("/health")
    assert anonymous.get_json() == {"status": "up"}
    detailed = call(world, "admin", "GET", "/health").get_json()
    assert detailed["store"]["ok"] and "path" not in detailed["store"] and "url" not in detailed["redis"]
    assert call(world, "member_a1", "GET", "/health").get_json() == {"status": "up"}
