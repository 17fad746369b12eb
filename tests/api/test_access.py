"""Who may do what: every role is refused what is not theirs, on every kind of object."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app
from service.access.keys import SYSTEM

DATA = Path(__file__).parent.parent / "data"
ROLES = {
    "admin": ("admin", None),
    "organiser": ("organiser", "org-a"),
    "other_organiser": ("organiser", "org-b"),
    "cluster_manager": ("cluster_manager", "t-fr-aero"),
    "other_cluster_manager": ("cluster_manager", "t-de-surface"),
    "member": ("member", "t-fr-sme"),
    "target_member": ("member", "t-de-anodiser"),
    "outsider_member": ("member", "t-es-machinist"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder, redis_url):
    app = create_app({"data_dir": tmp_path_factory.mktemp("access"), "embedder": embedder,
                      "redis_url": redis_url, "model_name": embedder.name})
    services = app.extensions[EXTENSION]
    for kind in ("clusters", "members"):
        ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, services.index, embedder, services.domain)
    keys = {name: services.keys.create(role, subject, name)[1] for name, (role, subject) in ROLES.items()}
    _, revoked = services.keys.create("admin", None, "revoked")
    services.keys.revoke(services.keys.verify(revoked).key_id)
    keys["revoked"] = revoked
    client = app.test_client()
    h = {"X-API-Key": keys["organiser"]}
    event = client.post("/events", headers=h, json={
        "title": "Access fair", "days": ["2026-03-10"], "sessions": [{"start": "09:00", "end": "12:00"}],
        "slot_minutes": 30, "num_tables": 3}).get_json()["id"]
    # Members register themselves (an organiser's registration of a member is an invitation).
    p1 = client.post(f"/events/{event}/participants", headers={"X-API-Key": keys["member"]},
                     json={"member_id": "t-fr-sme"}).get_json()["id"]
    p2 = client.post(f"/events/{event}/participants", headers={"X-API-Key": keys["target_member"]},
                     json={"member_id": "t-de-anodiser"}).get_json()["id"]
    p3 = client.post(f"/events/{event}/participants", headers=h, json={"name": "Standalone"}).get_json()["id"]
    rid = client.post(f"/events/{event}/participants/{p1}/requests", headers=h, json={"to": p2}).get_json()["id"]
    services.agenda_service(SYSTEM).generate(event, "preliminary", 5)
    job = services.queue.enqueue("builtins.len", [1], meta={"key_id": services.keys.verify(keys["admin"]).key_id})
    ids = {"event": event, "p1": p1, "p2": p2, "p3": p3, "rid": rid, "job": job}
    return client, keys, ids


def _call(client, key, method, path, **kw):
    headers = {"X-API-Key": key} if key else {}
    return client.open(path, method=method, headers=headers, **kw)


# (name, method, path template, body, roles allowed)
MATRIX = [
    ("list clusters", "GET", "/clusters", None, set(ROLES)),
    ("read member", "GET", "/members/t-fr-sme", None, set(ROLES)),
    ("export member data", "GET", "/members/t-fr-sme/export", None, {"admin", "member", "cluster_manager"}),
    ("match for a member", "POST", "/matches", {"seeker": {"kind": "members", "id": "t-fr-sme"}},
     {"admin", "member", "cluster_manager"}),
    ("match for a cluster", "POST", "/matches", {"seeker": {"kind": "clusters", "id": "t-fr-aero"}},
     {"admin", "cluster_manager"}),
    ("match free text", "POST", "/matches", {"text": "anodising aluminium parts"}, set(ROLES)),
    ("batch for a cluster", "POST", "/match-batches", {"cluster": "t-fr-aero"}, {"admin", "cluster_manager"}),
    ("batch for an event", "POST", "/match-batches", {"event_id": "{event}"}, {"admin", "organiser"}),
    ("batch for other members", "POST", "/match-batches", {"ids": ["t-de-anodiser"]},
     {"admin", "target_member", "other_cluster_manager"}),
    ("consortia for a member", "POST", "/consortia", {"seeker": {"kind": "members", "id": "t-fr-sme"}},
     {"admin", "member", "cluster_manager"}),
    ("accept an invitation", "POST", "/events/{event}/participants/{p1}/invitation/accept", None, {"member"}),
    ("ingest a file", "UPLOAD", "/ingest/members", None, {"admin"}),
    ("create an event", "POST", "/events", {"title": "x", "days": ["2026-03-10"], "slot_minutes": 30,
                                            "sessions": [{"start": "09:00", "end": "10:00"}], "num_tables": 1},
     {"admin", "organiser", "other_organiser"}),
    ("list participants", "GET", "/events/{event}/participants", None,
     {"admin", "organiser", "member", "target_member"}),
    ("export the event", "GET", "/events/{event}/export", None, {"admin", "organiser"}),
    ("send a request", "POST", "/events/{event}/participants/{p1}/requests", {"to": "{p3}"},
     {"admin", "organiser", "member"}),
    ("answer a request", "POST", "/events/{event}/requests/{rid}/accept", None, {"target_member"}),
    ("read someone's requests", "GET", "/events/{event}/requests?participant={p2}", None,
     {"admin", "organiser", "target_member"}),
    ("cancel a participant", "POST", "/events/{event}/participants/{p3}/cancel", None, {"admin", "organiser"}),
    ("generate the agenda", "POST", "/events/{event}/agenda", {"time_limit_s": 1}, {"admin", "organiser"}),
    ("read the schedule", "GET", "/events/{event}/agenda", None, {"admin", "organiser"}),
    ("organiser CSV", "GET", "/events/{event}/agenda.csv", None, {"admin", "organiser"}),
    ("a participant's agenda", "GET", "/events/{event}/participants/{p1}/agenda", None,
     {"admin", "organiser", "member"}),
    ("a participant's calendar", "GET", "/events/{event}/participants/{p2}/agenda.ics", None,
     {"admin", "organiser", "target_member"}),
    ("suggestions", "GET", "/events/{event}/participants/{p1}/suggestions", None, {"admin", "organiser", "member"}),
    ("someone's job", "GET", "/jobs/{job}", None, {"admin"}),
    ("audit trail", "GET", "/audit", None, {"admin"}),
]


def _fill(text, ids):
    return text.format(**ids) if isinstance(text, str) else text


@pytest.mark.parametrize(("name", "method", "path", "body", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_access_matrix(world, name, method, path, body, allowed) -> None:
    client, keys, ids = world
    path = _fill(path, ids)
    if isinstance(body, dict):
        body = {k: _fill(v, ids) for k, v in body.items()}
    for role in [*ROLES, "anonymous", "revoked"]:
        key = keys.get(role)
        if method == "UPLOAD":
            response = _call(client, key, "POST", path, data={"file": (io.BytesIO(b"x"), "m.txt")},
                             content_type="multipart/form-data")
        else:
            response = _call(client, key, method, path, json=body)
        if role in ("anonymous", "revoked"):
            assert response.status_code == 401, (role, response.get_json())
        elif role in allowed:
            assert response.status_code not in (401, 403), (role, response.get_json())
        else:
            assert response.status_code == 403, (role, response.status_code, response.get_json())
            assert response.get_json()["code"] == 403


def test_contact_details_only_for_owners(world) -> None:
    client, keys, _ = world
    for role in ("admin", "member", "cluster_manager"):
        assert "contact" not in _call(client, keys[role], "GET", "/members/t-de-anodiser").get_json() or role == "admin"
    # the owner and its cluster manager see private fields; other members do not
    assert "visibility" in _call(client, keys["member"], "GET", "/members/t-fr-sme").get_json()
    assert "visibility" in _call(client, keys["cluster_manager"], "GET", "/members/t-fr-sme").get_json()
    assert "visibility" not in _call(client, keys["target_member"], "GET", "/members/t-fr-sme").get_json()


def test_private_offers_never_shown_in_matches(world) -> None:
    client, keys, _ = world
    body = _call(client, keys["member"], "POST", "/matches",
                 json={"seeker": {"kind": "members", "id": "t-fr-sme"}, "page_size": 50}).get_json()
    secret = [m for m in body["items"] if m["id"] == "t-de-secret"]
    assert not secret or ("offers" not in secret[0]["profile"] and not secret[0]["pairs"])


def test_audit_trail_records_changes(world) -> None:
    client, keys, ids = world
    entries = _call(client, keys["admin"], "GET", f"/audit?object=/events/{ids['event']}").get_json()
    actions = {(e["role"], e["action"]) for e in entries}
    assert ("organiser", "POST /events/<event_id>/participants") in actions
    assert any(a == "POST /events/<event_id>/participants/<pid>/requests" for _, a in actions)
    assert all(e["at"] and e["key_id"] for e in entries)
