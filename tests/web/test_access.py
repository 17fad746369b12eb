"""Pages leak nothing the API refuses: the same principal is refused by both, because pages call
the same services with the same Guard."""
from __future__ import annotations

import pytest

from service import EXTENSION
from tests.web.conftest import browser, post

REFUSED = (401, 403, 404)


def both(app, role: str, subject: str | None):
    """A web session and an API client for one principal (the same key)."""
    svc = app.extensions[EXTENSION]
    _, token = svc.keys.create(role, subject, "access test")
    api = app.test_client()
    api.environ_base["HTTP_X_API_KEY"] = token
    web = browser(app)
    if role == "member":  # members sign in by link; the account acts as the same principal
        account = svc.signin.register(f"{subject}@example.org", role, subject)
        link = f"/app/signin/{svc.signin.token_for(account)}"
        assert post(web, link, token_page=link).status_code == 302
    else:
        assert post(web, "/app/signin", {"api_key": token}).status_code == 302
    return web, api


@pytest.mark.parametrize(("role", "subject", "page", "api_call"), [
    # a member not registered at the event
    ("member", "t-it-wine", "/app/events/fair-1/participants", ("get", "/events/fair-1/participants")),
    ("member", "t-it-wine", "/app/events/fair-1/requests", ("get", "/events/fair-1/requests")),
    ("member", "t-it-wine", "/app/events/fair-1/agenda", ("get", "/events/fair-1/agenda")),
    # a registered member is no organiser
    ("member", "t-fr-sme", "/app/events/fair-1", ("get", "/events/fair-1/agenda/stats")),
    ("member", "t-fr-sme", "/app/events/fair-1/outbox", ("get", "/events/fair-1/export")),
    # another organiser's event
    ("organiser", "org-b", "/app/events/fair-1", ("get", "/events/fair-1/export")),
    ("organiser", "org-b", "/app/events/fair-1/board", ("get", "/events/fair-1/agenda")),
    ("organiser", "org-b", "/app/events/fair-1/print/tables", ("get", "/events/fair-1/tables/agenda.html")),
    ("organiser", "org-b", "/app/events/fair-1/outbox", ("get", "/events/fair-1/export")),
    # a cluster manager is no member and no organiser
    ("cluster_manager", "t-de-surface", "/app/me/profile", ("get", "/members/t-fr-sme/export")),
    ("cluster_manager", "t-de-surface", "/app/events/fair-1", ("get", "/events/fair-1/export")),
])
def test_page_refused_where_the_api_refuses(web_app, seeded, role, subject, page, api_call) -> None:
    web, api = both(web_app, role, subject)
    method, path = api_call
    assert getattr(api, method)(path).status_code in REFUSED
    response = web.get(page)
    assert response.status_code in REFUSED, f"{page} answered {response.status_code}"
    assert "Salon Aéro B2B" not in response.get_data(as_text=True)  # not even the event's title


def test_participant_pages_show_no_contact_details(web_app, seeded) -> None:
    web, api = both(web_app, "member", "t-fr-sme")
    listed = api.get("/events/fair-1/participants").get_json()
    assert listed and all("contact" not in p for p in listed)
    page = web.get("/app/events/fair-1/participants").get_data(as_text=True)
    assert "Eloxal Werk Bayern GmbH" in page and "@example.org" not in page


def test_cluster_manager_sees_only_their_own_cluster(web_app, seeded) -> None:
    web, api = both(web_app, "cluster_manager", "t-de-surface")
    assert api.post("/matches", json={"seeker": {"kind": "clusters", "id": "t-fr-aero"}}).status_code == 403
    page = web.get("/app/cluster?cluster=t-fr-aero").get_data(as_text=True)  # the parameter is for admins
    assert "<h1>Value chain of Oberflächen Netzwerk Süd</h1>" in page
    assert "Value chain of Aéro Garonne" not in page
