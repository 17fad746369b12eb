"""Two tenants for privacy tests: each a cluster, two members, an organiser and an event, with a
unique marker in every private field, cross-tenant participations, an accepted meeting, a
solved agenda and finished match batches. Markers let a test see any private value leak."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from indexers.pipeline import ingest
from indexers.sources import SourceRecord
from service.access.keys import SYSTEM, Principal

CONTACT = "contact"
# Markets are country codes, so their "markers" are codes no other profile uses.
MARKET_MARKERS = {"mx-a1": "IS", "mx-b1": "MT"}
# A private count of cooperations would show in the capacity reason: distinct per member.
COOPERATIONS = {"mx-a1": 7, "mx-a2": 6, "mx-b1": 5, "mx-b2": 9}


def marker(pid: str, name: str) -> str:
    return f"zq{pid.replace('-', '')}{name.replace('_', '')}"


def _member(pid: str, cluster: str, country: str, lang: str, all_private: bool, offer: str, need: str,
            link: str, need_link: str) -> dict[str, Any]:
    m = lambda name: marker(pid, name)  # noqa: E731
    doc = {
        "id": pid, "name": f"Société {pid.upper()}", "country": country, "sector": "aeronautics",
        "org_type": "sme", "clusters": [cluster], "languages": [lang, "en"], "value_chain_links": [link],
        "description": f"Atelier discret {m('description')} pour l'aéronautique.",
        "city": m("city"), "region": m("region"), "competences": [m("competences"), "usinage"],
        "certifications": [m("certifications")], "markets": [MARKET_MARKERS.get(pid, country)],
        "active_cooperations": COOPERATIONS[pid], "target_markets": ["IS", "MT"],
        "offers": [{"type": "service", "text": f"{offer} ({m('offers')})", "link": link}],
        "requests": [{"type": "supplier", "text": f"{need} ({m('requests')})", "link": need_link}],
        "contact": {"name": m(CONTACT), "email": f"{m(CONTACT)}@example.org", "phone": "+33 5 00 00 00 00"},
    }
    private = ["description", "city", "region", "competences", "certifications", "markets", "active_cooperations",
               "contact"]
    if all_private:
        private += ["offers", "requests"]
    doc["visibility"] = {name: "private" for name in private}
    return doc


def _cluster(pid: str, country: str, lang: str) -> dict[str, Any]:
    m = lambda name: marker(pid, name)  # noqa: E731
    return {
        "id": pid, "name": f"Pôle {pid.upper()}", "country": country, "sector": "aeronautics", "kind": "cluster",
        "languages": [lang, "en"], "stage": "growth",
        "description": f"Réseau confidentiel {m('description')}.", "region": m("region"),
        "themes": [m("themes")], "technologies": [m("technologies")], "networks": [m("networks")],
        "governance": m("governance"),
        "value_chain": [{"link": "machining", "status": "strong"}, {"link": "surface_treatment", "status": "missing"}],
        "offers": [{"type": "service", "text": f"Usinage mutualisé de pièces de structure {m('offers')}",
                    "link": "machining"}],
        "requests": [{"type": "supplier", "text": f"Cherchons traitement de surface {m('requests')}",
                      "link": "surface_treatment"}],
        "contact": {"name": m(CONTACT), "email": f"{m(CONTACT)}@example.org"},
        "visibility": {name: "private" for name in ("description", "region", "themes", "technologies", "networks",
                                                     "governance", "offers", "requests", "contact")},
    }


CLUSTERS = [_cluster("cl-a", "FR", "fr"), _cluster("cl-b", "DE", "de")]
MEMBERS = [
    _member("mx-a1", "cl-a", "FR", "fr", True, "Anodisation dure de pièces en aluminium",
            "Recherchons usinage de précision de pièces en titane", "surface_treatment", "machining"),
    _member("mx-a2", "cl-a", "FR", "fr", False, "Usinage cinq axes de pièces en titane",
            "Cherchons un partenaire pour l'anodisation de l'aluminium", "machining", "surface_treatment"),
    _member("mx-b1", "cl-b", "DE", "de", True, "Präzisionsfräsen von Titanbauteilen",
            "Suchen Eloxieren von Aluminiumteilen", "machining", "surface_treatment"),
    _member("mx-b2", "cl-b", "IT", "it", False, "Ossidazione anodica di componenti in alluminio",
            "Cerchiamo lavorazioni meccaniche di precisione", "surface_treatment", "machining"),
]
# b2 keeps its cluster membership private: a cluster filter by anyone else must not find it.
MEMBERS[3]["visibility"]["clusters"] = "private"
STAND_CONTACT = "zqstandcontact"

ROLES = {  # name -> (role, subject, tenant)
    "admin": ("admin", None, None),
    "organiser_a": ("organiser", "org-a", "A"), "organiser_b": ("organiser", "org-b", "B"),
    "manager_a": ("cluster_manager", "cl-a", "A"), "manager_b": ("cluster_manager", "cl-b", "B"),
    "member_a1": ("member", "mx-a1", "A"), "member_a2": ("member", "mx-a2", "A"),
    "member_b1": ("member", "mx-b1", "B"), "member_b2": ("member", "mx-b2", "B"),
}
OWNS = {  # who owns which profile (and so may see its private fields): the expectation, not the code
    "manager_a": {"cl-a", "mx-a1", "mx-a2"}, "manager_b": {"cl-b", "mx-b1", "mx-b2"},
    "member_a1": {"mx-a1"}, "member_a2": {"mx-a2"}, "member_b1": {"mx-b1"}, "member_b2": {"mx-b2"},
}


def private_markers(doc: dict[str, Any]) -> list[str]:
    pid = doc["id"]
    found = [marker(pid, name) for name, level in doc["visibility"].items()
             if level == "private" and name not in ("markets", "active_cooperations", "clusters")]
    if pid in COOPERATIONS:
        found.append(f"re:in {COOPERATIONS[pid]} cooperations")
    if pid in MARKET_MARKERS:  # a private market shows as a list value or in a reason
        code = MARKET_MARKERS[pid]
        found.append(f"re:\"markets\":\\s*\\[[^\\]]*\"{code}\"|target markets[^\"]*\\b{code}\\b")
    return found


def leaked(text: str, hidden: list[str]) -> list[str]:
    """The hidden markers found in `text` (plain substrings, or regexes written re:...)."""
    return [mk for mk in hidden if (re.search(mk[3:], text) if mk.startswith("re:") else mk in text)]


@dataclass
class World:
    client: Any
    services: Any
    keys: dict[str, str]
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # tenant -> placeholder -> id
    allowed_extra: dict[str, set[str]] = field(default_factory=dict)  # role -> markers seen legitimately
    participants: dict[str, set[str]] = field(default_factory=dict)  # event -> member ids taking part

    def markers_hidden_from(self, role: str) -> list[str]:
        if role == "admin":
            return []
        owned = OWNS.get(role, set())
        hidden = [mk for doc in CLUSTERS + MEMBERS if doc["id"] not in owned for mk in private_markers(doc)]
        hidden.append(STAND_CONTACT)
        return [mk for mk in hidden if mk not in self.allowed_extra.get(role, set())]


def ingest_docs(services: Any, embedder: Any, kind: str, docs: list[dict[str, Any]]) -> None:
    records = [SourceRecord(f"tenants {d['id']}", copy.deepcopy(d)) for d in docs]
    report = ingest(records, kind, services.index, embedder, services.domain)
    assert report.ok, report.errors


def build_world(app: Any, embedder: Any) -> World:
    from service import EXTENSION

    services = app.extensions[EXTENSION]
    ingest_docs(services, embedder, "clusters", CLUSTERS)
    ingest_docs(services, embedder, "members", MEMBERS)
    keys = {name: services.keys.create(role, subject, name)[1] for name, (role, subject, _) in ROLES.items()}
    world = World(app.test_client(), services, keys)
    call = lambda role, method, path, **kw: world.client.open(  # noqa: E731
        path, method=method, headers={"X-API-Key": keys[role]}, **kw)
    event = {"days": ["2026-03-10"], "sessions": [{"start": "09:00", "end": "12:00"}], "slot_minutes": 30,
             "num_tables": 3}
    ev_a = call("organiser_a", "POST", "/events", json={**event, "title": "Salon A"}).get_json()["id"]
    ev_b = call("organiser_b", "POST", "/events", json={**event, "title": "Messe B"}).get_json()["id"]
    reg = lambda role, ev, body: call(role, "POST", f"/events/{ev}/participants", json=body).get_json()["id"]  # noqa: E731
    pa1 = reg("member_a1", ev_a, {"member_id": "mx-a1"})
    pb1 = reg("member_b1", ev_a, {"member_id": "mx-b1"})
    stand = reg("organiser_a", ev_a, {"name": "Stand libre", "contact": {"name": STAND_CONTACT}})
    invited = reg("organiser_a", ev_a, {"member_id": "mx-a2"})  # an invitation nobody answered
    pb2 = reg("member_b2", ev_b, {"member_id": "mx-b2"})
    pa2 = reg("member_a2", ev_b, {"member_id": "mx-a2"})
    stand_b = reg("organiser_b", ev_b, {"name": "Freier Stand"})
    r1 = call("member_a1", "POST", f"/events/{ev_a}/participants/{pa1}/requests", json={"to": pb1}).get_json()["id"]
    assert call("member_b1", "POST", f"/events/{ev_a}/requests/{r1}/accept").status_code == 200
    r2 = call("member_a1", "POST", f"/events/{ev_a}/participants/{pa1}/requests", json={"to": stand}).get_json()["id"]
    assert call("organiser_a", "POST", f"/events/{ev_a}/requests/{r2}/accept").status_code == 200
    r3 = call("member_b2", "POST", f"/events/{ev_b}/participants/{pb2}/requests", json={"to": pa2}).get_json()["id"]
    for ev in (ev_a, ev_b):
        services.agenda_service(SYSTEM).generate(ev, "preliminary", 5)
    # The two sides of an accepted meeting see each other's contact, and nothing else.
    # (a2 may accept b2's pending request during a test: then they are sides too.)
    world.allowed_extra = {"member_a1": {marker("mx-b1", CONTACT), STAND_CONTACT},
                           "member_b1": {marker("mx-a1", CONTACT)}, "organiser_a": {STAND_CONTACT},
                           "member_a2": {marker("mx-b2", CONTACT)}, "member_b2": {marker("mx-a2", CONTACT)}}
    world.participants = {ev_a: {"mx-a1", "mx-b1", "mx-a2"}, ev_b: {"mx-b2", "mx-a2"}}
    batches = {}
    for name, starter, spec in (
            ("batch_a", "manager_a", {"seeker_kind": "members", "target": "members", "cluster": "cl-a"}),
            ("batch_b", "manager_b", {"seeker_kind": "members", "target": "members", "cluster": "cl-b"}),
            ("batch_ev", "organiser_a", {"seeker_kind": "members", "target": "members", "event_id": ev_a})):
        role, subject, _ = ROLES[starter]
        who = Principal(services.keys.verify(keys[starter]).key_id, role, subject)
        services.match_service(who).run_batch(spec, name)
        batches[name] = name
    job_a = services.queue.enqueue("builtins.len", [1], meta={"key_id": services.keys.verify(keys["manager_a"]).key_id})
    job_b = services.queue.enqueue("builtins.len", [1], meta={"key_id": services.keys.verify(keys["manager_b"]).key_id})
    world.ids = {
        "A": {"member": "mx-a1", "member2": "mx-a2", "cluster": "cl-a", "event": ev_a, "p_member": pa1,
              "p_peer": pb1, "p_stand": stand, "p_invited": invited, "rid": r1, "batch": "batch_a", "job": job_a},
        "B": {"member": "mx-b1", "member2": "mx-b2", "cluster": "cl-b", "event": ev_b, "p_member": pb2,
              "p_peer": pa2, "p_stand": stand_b, "p_invited": pa2, "rid": r3, "batch": "batch_b", "job": job_b},
    }
    world.ids["A"]["batch_ev"] = "batch_ev"
    world.ids["B"]["batch_ev"] = "batch_b"
    return world
