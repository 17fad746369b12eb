"""Who sees which cooperation record, across tenants: the two parties, their cluster managers and
admins, nobody else; comments stay with their author's side; data export and deletion."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app
from service.errors import ForbiddenError

DATA = Path(__file__).parent.parent / "data"
pytestmark = [pytest.mark.model]
ROLES = {
    "admin": ("admin", None),
    "sme": ("member", "t-fr-sme"),                       # party of R1, cluster t-fr-aero
    "anodiser": ("member", "t-de-anodiser"),             # party of R1, cluster t-de-surface
    "machinist": ("member", "t-es-machinist"),           # party of R3, cluster t-es-lookalike
    "busy": ("member", "t-de-busy"),                     # same cluster as the anodiser, party of nothing
    "aero_manager": ("cluster_manager", "t-fr-aero"),
    "surface_manager": ("cluster_manager", "t-de-surface"),
    "meseta_manager": ("cluster_manager", "t-es-lookalike"),
    "testing_manager": ("cluster_manager", "t-it-testing"),
    "organiser": ("organiser", "org-a"),
}
SEES = {
    "R1": {"admin", "sme", "anodiser", "aero_manager", "surface_manager"},
    "R2": {"admin", "aero_manager", "testing_manager"},
    "R3": {"admin", "machinist", "meseta_manager", "surface_manager"},
}


def _app(tmp_path, embedder, redis_url):
    app = create_app({"data_dir": tmp_path, "embedder": embedder, "redis_url": redis_url,
                      "model_name": embedder.name})
    services = app.extensions[EXTENSION]
    for kind in ("clusters", "members"):
        ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, services.index, embedder, services.domain)
    clients = {}
    for name, (role, subject) in ROLES.items():
        client = app.test_client()
        client.environ_base["HTTP_X_API_KEY"] = services.keys.create(role, subject, name)[1]
        clients[name] = client
    return app, clients


def _open(client, a, b, source="methodical"):
    response = client.post("/cooperations", json={"parties": [a, b], "source": source, "note": "premier contact"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder, redis_url):
    app, c = _app(tmp_path_factory.mktemp("coop-access"), embedder, redis_url)
    ids = {
        "R1": _open(c["sme"], {"kind": "members", "id": "t-fr-sme"}, {"kind": "members", "id": "t-de-anodiser"}),
        "R2": _open(c["aero_manager"], {"kind": "clusters", "id": "t-fr-aero"},
                    {"kind": "clusters", "id": "t-it-testing"}, "obvious"),
        "R3": _open(c["machinist"], {"kind": "members", "id": "t-es-machinist"},
                    {"kind": "clusters", "id": "t-de-surface"}, "encountered"),
    }
    outcome = {"meeting": {"date": "2026-05-12", "title": "Salon du Bourget"}, "held": True, "rating": 2,
               "follow_up": False, "comment": "Ils veulent surtout vendre, pas coopérer"}
    assert c["sme"].post(f"/cooperations/{ids['R1']}/outcomes", json=outcome).status_code == 201
    return app, c, ids


@pytest.mark.parametrize("record", sorted(SEES))
def test_only_parties_their_managers_and_admins_see_a_record(world, record) -> None:
    _, clients, ids = world
    for name, client in clients.items():
        read = client.get(f"/cooperations/{ids[record]}")
        moved = client.post(f"/cooperations/{ids[record]}/stage", json={"stage": "validation", "reason": name})
        outcomes = client.get(f"/cooperations/{ids[record]}/outcomes")
        if name in SEES[record]:
            assert (read.status_code, moved.status_code, outcomes.status_code) == (200, 200, 200), name
        else:
            assert (read.status_code, moved.status_code, outcomes.status_code) == (403, 403, 403), name
            assert read.get_json()["code"] == 403
        listed = {r["id"] for r in client.get("/cooperations").get_json()}
        assert (ids[record] in listed) == (name in SEES[record]), name


def test_nobody_opens_records_for_others(world) -> None:
    _, c, _ = world
    stranger = c["busy"].post("/cooperations", json={"source": "obvious", "parties": [
        {"kind": "members", "id": "t-fr-sme"}, {"kind": "members", "id": "t-es-machinist"}]})
    assert stranger.status_code == 403
    foreign_follow = c["sme"].post("/cooperations/follow", json={"seeker": {"kind": "members", "id": "t-de-busy"},
                                                                  "partner": {"kind": "members", "id": "t-fr-sme"}})
    assert foreign_follow.status_code == 403
    bad = c["sme"].post("/cooperations", json={"source": "by magic", "parties": [{"kind": "members", "id": "x"}]})
    assert bad.status_code == 422 and {"source", "parties"} <= set(bad.get_json()["errors"]["json"])


def test_history_keeps_who_moved_it_back_and_forth(world) -> None:
    _, c, ids = world
    assert c["anodiser"].post(f"/cooperations/{ids['R1']}/stage",
                              json={"stage": "joint_operations", "reason": "skip ahead"}).status_code == 200
    assert c["sme"].post(f"/cooperations/{ids['R1']}/stage",
                         json={"stage": "contact", "reason": "pas encore"}).status_code == 200
    history = c["surface_manager"].get(f"/cooperations/{ids['R1']}").get_json()["history"]
    moves = [(h["by"]["subject"], h["from_stage"], h["to_stage"], h["reason"])
             for h in history if h["action"] == "stage"]
    assert [m for m in moves if m[0] == "t-de-anodiser" and m[2:] == ("joint_operations", "skip ahead")]
    assert moves[-1] == ("t-fr-sme", "joint_operations", "contact", "pas encore")


def test_comments_never_reach_the_other_party(world) -> None:
    _, c, ids = world
    secret = "Ils veulent surtout vendre"
    for name in ("anodiser", "surface_manager"):
        body = c[name].get(f"/cooperations/{ids['R1']}/outcomes").get_json()
        assert secret not in str(body) and body[0]["held"] is True and "rating" not in body[0], name
        assert secret not in str(c[name].get(f"/cooperations/{ids['R1']}").get_json())
    for name in ("sme", "aero_manager", "admin"):
        assert secret in str(c[name].get(f"/cooperations/{ids['R1']}/outcomes").get_json()), name


def test_figures_for_the_cluster_manager_and_organiser_only(world) -> None:
    _, c, _ = world
    for name in ROLES:
        allowed = name in ("admin", "aero_manager")
        assert (c[name].get("/cooperation-figures?cluster=t-fr-aero").status_code == 200) == allowed, name
        assert (c[name].get("/cooperation-figures").status_code == 200) == (name == "admin"), name
    figures = c["aero_manager"].get("/cooperation-figures?cluster=t-fr-aero").get_json()
    assert figures["totals"]["records"] == 2 and figures["totals"]["meetings_held"] == 1
    assert "Ils veulent" not in c["aero_manager"].get("/cooperation-figures.csv?cluster=t-fr-aero").data.decode()


def test_weights_are_for_admins(world) -> None:
    _, c, _ = world
    for name in ROLES:
        expected = 200 if name == "admin" else 403
        assert c[name].get("/weight-proposals").status_code == expected, name
        assert c[name].post("/weights/members/rollback").status_code == (409 if name == "admin" else 403), name


def test_services_refuse_without_a_caller(world) -> None:
    app, _, _ = world
    with pytest.raises(ForbiddenError, match="named caller"):
        app.extensions[EXTENSION].cooperation_service(None)


def test_export_and_deletion_keep_the_other_partys_history(tmp_path, embedder, redis_url) -> None:
    _, c = _app(tmp_path, embedder, redis_url)
    rid = _open(c["sme"], {"kind": "members", "id": "t-fr-sme"}, {"kind": "members", "id": "t-de-anodiser"})
    meeting = {"date": "2026-06-02", "title": "Visite usine"}
    c["sme"].post(f"/cooperations/{rid}/outcomes", json={"meeting": meeting, "held": True, "rating": 4,
                                                          "comment": "Bon contact, tarif élevé"})
    c["anodiser"].post(f"/cooperations/{rid}/outcomes", json={"meeting": meeting, "held": True, "rating": 5,
                                                               "comment": "Sehr guter Termin"})
    c["anodiser"].post(f"/cooperations/{rid}/notes", json={"text": "Angebot bis Juli"})
    c["sme"].post(f"/cooperations/{rid}/notes", json={"text": "Contact: j.dupont@example.fr"})

    export = c["sme"].get("/members/t-fr-sme/export").get_json()
    [entry] = export["cooperation_records"]
    assert entry["record"]["id"] == rid and "Bon contact, tarif élevé" in str(entry["outcomes"])
    assert "Sehr guter Termin" not in str(export)  # the other side's comment is theirs
    assert c["busy"].get("/members/t-fr-sme/export").status_code == 403

    deleted = c["sme"].delete("/members/t-fr-sme").get_json()
    assert deleted["cooperation_records_anonymised"] == 1
    record = c["anodiser"].get(f"/cooperations/{rid}").get_json()
    gone = record["parties"][0]
    assert gone["id"].startswith("deleted-") and gone["name"] == "(deleted member)"
    assert record["parties"][1]["id"] == "t-de-anodiser"
    assert len(record["meetings"]) == 1  # both sides answered for the same meeting
    notes = [h.get("note") for h in record["history"] if h["action"] == "note"]
    assert notes == ["Angebot bis Juli", "(removed)"]
    assert "t-fr-sme" not in str(record) and "j.dupont" not in str(record)
    outcomes = c["admin"].get(f"/cooperations/{rid}/outcomes").get_json()
    assert "Bon contact" not in str(outcomes) and "Sehr guter Termin" in str(outcomes)
    assert len(outcomes) == 2  # the meeting and both answers stay in the other party's history
    assert c["sme"].get(f"/cooperations/{rid}").status_code == 403
