"""The cross-tenant matrix: every route × every role × own and other tenant. Every private field
of every profile holds a marker; no response body, header or export may carry a marker its
caller may not see, and nothing may answer 5xx. Routes join by declaration: a route of the app
without an entry in DECLARED fails test_every_route_is_declared."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from service import create_app
from tests.support.tenants import ROLES, build_world, leaked, marker

EVENT = {"title": "x", "days": ["2026-03-10"], "sessions": [{"start": "09:00", "end": "10:00"}],
         "slot_minutes": 30, "num_tables": 1}
PAGE = {"page_size": 50}
UPLOAD = "upload"  # body marker: a multipart CSV file
OWN, OTHER = "own", "other"
BOTH = (OWN, OTHER)

# "METHOD rule" -> [(path, body, tenants, owner_only)]. `owner_only`: a non-admin caller must be
# refused (403/404) on the other tenant's object. Destructive calls run on the other tenant only.
DECLARED: dict[str, list[tuple[str, object, tuple[str, ...], bool]]] = {
    "GET /health": [("/health", None, BOTH, False)],
    "GET /clusters": [("/clusters?page_size=100", None, BOTH, False),
                      ("/clusters?q=" + marker("cl-a", "description"), None, BOTH, False)],
    "GET /clusters/<cluster_id>": [("/clusters/{cluster}", None, BOTH, False)],
    "DELETE /clusters/<cluster_id>": [("/clusters/{cluster}", None, (OTHER,), True)],
    "GET /members": [("/members?page_size=100", None, BOTH, False),
                     ("/members?cluster={cluster}&page_size=100", None, BOTH, False),
                     ("/members?q=" + marker("mx-b1", "competences"), None, BOTH, False)],
    "GET /members/<member_id>": [("/members/{member}", None, BOTH, False),
                                 ("/members/{member2}", None, BOTH, False)],
    "DELETE /members/<member_id>": [("/members/{member}", None, (OTHER,), True)],
    "GET /members/<member_id>/export": [("/members/{member}/export", None, BOTH, True)],
    "POST /ingest/<any(clusters, members):kind>": [("/ingest/members", UPLOAD, (OWN,), False)],
    "GET /jobs/<job_id>": [("/jobs/{job}", None, BOTH, True)],
    "GET /audit": [("/audit", None, (OWN,), False)],
    "POST /matches": [
        ("/matches", {"seeker": {"kind": "members", "id": "{member}"}, "target": "members", **PAGE}, BOTH, True),
        ("/matches", {"seeker": {"kind": "members", "id": "{member2}"}, "target": "members", **PAGE}, BOTH, True),
        ("/matches", {"seeker": {"kind": "clusters", "id": "{cluster}"}, **PAGE}, BOTH, True),
        ("/matches", {"text": "anodisation de pièces en aluminium", "target": "members", **PAGE}, (OWN,), False),
        ("/matches", {"text": "usinage", "target": "members", "clusters": ["{cluster}"]}, BOTH, False)],
    "POST /consortia": [("/consortia", {"seeker": {"kind": "members", "id": "{member2}"}}, BOTH, True),
                        ("/consortia", {"seeker": {"kind": "clusters", "id": "{cluster}"}}, BOTH, True)],
    "POST /match-batches": [("/match-batches", {"cluster": "{cluster}"}, BOTH, True),
                            ("/match-batches", {"event_id": "{event}"}, BOTH, True),
                            ("/match-batches", {"ids": ["{member}"]}, BOTH, True)],
    "GET /match-batches/<job_id>": [("/match-batches/{job}", None, BOTH, True)],
    "GET /match-batches/<job_id>/results.<any(json, csv):fmt>": [
        ("/match-batches/{batch}/results.json", None, BOTH, True),
        ("/match-batches/{batch}/results.csv", None, BOTH, True),
        ("/match-batches/{batch_ev}/results.json", None, BOTH, True)],
    "POST /events": [("/events", EVENT, (OWN,), False)],
    "POST /events/import": [("/events/import", {"format": "b2b-sched-instance/1"}, (OWN,), False)],
    "GET /events/<event_id>": [("/events/{event}", None, BOTH, False)],
    "GET /events/<event_id>/export": [("/events/{event}/export", None, BOTH, True)],
    "GET /events/<event_id>/participants": [("/events/{event}/participants", None, BOTH, True)],
    "POST /events/<event_id>/participants": [("/events/{event}/participants", {"member_id": "{member2}"}, BOTH, False)],
    "POST /events/<event_id>/participants/<pid>/cancel": [
        ("/events/{event}/participants/{p_member}/cancel", None, (OTHER,), True)],
    "POST /events/<event_id>/participants/<pid>/invitation/<any(accept, decline):answer>": [
        ("/events/{event}/participants/{p_invited}/invitation/accept", None, (OTHER,), True)],
    "GET /events/<event_id>/participants/<pid>/suggestions": [
        ("/events/{event}/participants/{p_member}/suggestions", None, BOTH, True),
        ("/events/{event}/participants/{p_peer}/suggestions", None, BOTH, True)],
    "POST /events/<event_id>/participants/<pid>/requests": [
        ("/events/{event}/participants/{p_member}/requests", {"to": "{p_stand}"}, BOTH, True)],
    "GET /events/<event_id>/requests": [("/events/{event}/requests", None, BOTH, True),
                                        ("/events/{event}/requests?participant={p_peer}", None, BOTH, True)],
    "POST /events/<event_id>/requests/<rid>/<any(accept, decline):answer>": [
        ("/events/{event}/requests/{rid}/accept", None, BOTH, True)],
    "GET /events/<event_id>/agenda": [("/events/{event}/agenda", None, BOTH, True)],
    "POST /events/<event_id>/agenda": [("/events/{event}/agenda", {"time_limit_s": 1}, (OTHER,), True)],
    "POST /events/<event_id>/agenda/lock": [
        ("/events/{event}/agenda/lock", {"pairs": [["{p_member}", "{p_peer}"]]}, (OTHER,), True)],
    "GET /events/<event_id>/agenda/stats": [("/events/{event}/agenda/stats", None, BOTH, True)],
    "GET /events/<event_id>/agenda.csv": [("/events/{event}/agenda.csv", None, BOTH, True)],
    "GET /events/<event_id>/tables/agenda.html": [("/events/{event}/tables/agenda.html", None, BOTH, True)],
    "GET /events/<event_id>/participants/<pid>/agenda": [
        ("/events/{event}/participants/{p_member}/agenda", None, BOTH, True),
        ("/events/{event}/participants/{p_peer}/agenda", None, BOTH, True),
        ("/events/{event}/participants/{p_stand}/agenda", None, BOTH, True)],
    "GET /events/<event_id>/participants/<pid>/agenda.<any(ics, html):fmt>": [
        ("/events/{event}/participants/{p_member}/agenda.ics", None, BOTH, True),
        ("/events/{event}/participants/{p_peer}/agenda.html", None, BOTH, True)],
}
# Routes whose cross-tenant rules are proven by a test module of their own (same Guard, same
# services): declared here with that module, so a route nobody declared still fails the suite.
COVERED_ELSEWHERE: dict[str, str] = {
    **{route: "tests/api/test_cooperation_access.py" for route in (
        "GET /cooperation-figures", "GET /cooperation-figures.csv", "GET /cooperations",
        "GET /cooperations/<record_id>", "GET /cooperations/<record_id>/follow-ups",
        "GET /cooperations/<record_id>/outcomes", "GET /follow-ups", "GET /weight-proposals",
        "GET /weight-proposals/<pid>", "POST /cooperations", "POST /cooperations/<record_id>/agreement",
        "POST /cooperations/<record_id>/notes", "POST /cooperations/<record_id>/outcomes",
        "POST /cooperations/<record_id>/stage", "POST /cooperations/follow", "POST /cooperations/from-request",
        "POST /follow-ups/<fid>", "POST /weight-proposals", "POST /weight-proposals/<pid>/apply",
        "POST /weights/<any(clusters, members, text):search_type>/rollback")},
    **{route: "tests/api/test_agenda_onsite.py" for route in (
        "PATCH /events/<event_id>/settings", "POST /events/<event_id>/meetings",
        "POST /events/<event_id>/meetings/cancel", "POST /events/<event_id>/meetings/lock",
        "POST /events/<event_id>/meetings/move", "POST /events/<event_id>/participants/<pid>/no-show")},
    "GET /events": "tests/api/test_participant_needs.py",
}
WEB_PAGES = "tests/web/test_access.py"  # every /app page: the pages refuse what the API refuses

# Served by the framework, not by Maillon's services: the spec, its UI and static assets.
FRAMEWORK = {"GET /static/<path:filename>", "GET /static/swagger-ui/<path:filename>", "GET /openapi.json",
             "GET /docs"}


def _routes(app) -> set[str]:
    return {f"{m} {rule.rule}" for rule in app.url_map.iter_rules() for m in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder, redis_url):
    app = create_app({"data_dir": tmp_path_factory.mktemp("tenants"), "embedder": embedder,
                      "redis_url": redis_url, "model_name": embedder.name})
    return build_world(app, embedder)


def test_every_route_is_declared(world) -> None:
    routes = _routes(world.client.application) - FRAMEWORK
    web = {r for r in routes if r.split(" ", 1)[1] == "/" or r.split(" ", 1)[1].startswith("/app/")}
    declared = set(DECLARED) | set(COVERED_ELSEWHERE)
    missing = sorted(routes - web - declared)
    assert not missing, f"routes missing from the privacy matrix: {missing}"
    assert not declared - routes, f"declared but gone: {sorted(declared - routes)}"
    root = Path(__file__).resolve().parents[2]
    for module in {*COVERED_ELSEWHERE.values(), WEB_PAGES}:
        assert (root / module).is_file(), module


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _cases():
    for route, entries in DECLARED.items():
        for n, (path, body, tenants, owner_only) in enumerate(entries):
            for tenant in tenants:
                yield pytest.param(route, path, body, tenant, owner_only, id=f"{route} #{n} {tenant}")


CASES = list(_cases())
ORDER = {OWN: 0, OTHER: 1}


@pytest.mark.parametrize(("route", "path", "body", "tenant", "owner_only"),
                         sorted(CASES, key=lambda p: (p.values[0].split()[0] in ("DELETE",), ORDER[p.values[3]])))
def test_no_marker_reaches_who_may_not_see_it(world, route, path, body, tenant, owner_only) -> None:
    method = route.split()[0]
    for role, (_, subject, home) in ROLES.items():
        if tenants_only_other(route) and role == "admin":
            continue  # destructive calls: an admin would really do them and change the world
        homes = [("A", "B"), ("B", "A")] if home is None else [(home, "B" if home == "A" else "A")]
        for own, other in homes:
            ids = world.ids[own if tenant == OWN else other]
            url = _fill(path, ids)
            headers = {"X-API-Key": world.keys[role]}
            if body == UPLOAD:
                response = world.client.open(url, method=method, headers=headers, content_type="multipart/form-data",
                                             data={"file": (io.BytesIO(b"id,name\nx1,X\n"), "m.csv")})
            else:
                response = world.client.open(url, method=method, headers=headers,
                                             json=_fill(body, ids) if body is not None else None)
            text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
            where = f"{role} {method} {url} → {response.status_code}"
            assert response.status_code < 500, f"{where}: {text[:300]}"
            found = leaked(text, world.markers_hidden_from(role))
            assert not found, f"{where} leaks {found}"
            # Members taking part in the other tenant's event act there legitimately.
            takes_part = url.startswith("/events/") and subject in world.participants.get(ids["event"], set())
            if owner_only and tenant == OTHER and role != "admin" and not takes_part:
                assert response.status_code in (403, 404), f"{where}: not refused"


def tenants_only_other(route: str) -> bool:
    return all(tenants == (OTHER,) for _, _, tenants, _ in DECLARED[route])


def test_matrix_size() -> None:
    """The figures for the issue note: routes × roles × cases (own/other)."""
    calls = sum((2 if home is None else 1) * (0 if home is None and tenants_only_other(p.values[0]) else 1)
                for p in CASES for (_, _, home) in ROLES.values())
    print(f"\nprivacy matrix: {len(DECLARED)} routes × {len(ROLES)} roles, {len(CASES)} cases, {calls} calls")
    assert len(DECLARED) >= 36 and calls > 500
