"""The web app through a browser-like client: sign-in, CSRF, headers, the member's pages, the
organiser's import, languages, and the calendar feed; all with the real model and services."""
from __future__ import annotations

import io
import re

from service import EXTENSION
from service.access.keys import SYSTEM
from tests.web.conftest import as_member, browser, csrf_of, key_client, post, signed_in


def test_root_leads_to_signin_and_headers_forbid_off_host(web_app) -> None:
    client = browser(web_app)
    assert client.get("/").headers["Location"].endswith("/app/")
    page = client.get("/app/", follow_redirects=True)
    assert page.status_code == 200 and "Sign in" in page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


def test_forms_need_the_csrf_token(web_app) -> None:
    client = browser(web_app)
    assert client.post("/app/signin", data={"email": "a@example.org"}).status_code == 400
    assert post(client, "/app/signin", {"email": "a@example.org"}).status_code == 200


def test_signin_link_is_single_use_and_sets_a_secure_session(web_app) -> None:
    svc = web_app.extensions[EXTENSION]
    account = svc.signin.register("anna@example.org", "organiser", "org-a")
    token = svc.signin.token_for(account)
    client = browser(web_app)
    assert client.get(f"/app/signin/{token}").status_code == 200  # a mail scanner's GET uses nothing
    first = post(client, f"/app/signin/{token}", token_page=f"/app/signin/{token}")
    assert first.status_code == 302 and first.headers["Location"] == "/app/events"
    cookie = first.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again = post(browser(web_app), f"/app/signin/{token}", token_page=f"/app/signin/{token}")
    assert again.status_code == 401 and "used already" in again.get_data(as_text=True)
    forged = post(browser(web_app), f"/app/signin/{token[:-3]}abc", token_page="/app/signin")
    assert forged.status_code == 401


def test_api_key_signin_only_for_staff_roles(web_app) -> None:
    svc = web_app.extensions[EXTENSION]
    _, member_key = svc.keys.create("member", "t-fr-sme", "m")
    client = browser(web_app)
    refused = post(client, "/app/signin", {"api_key": member_key})
    assert refused.status_code == 401 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    key_id, org_key = svc.keys.create("organiser", "org-a", "o")
    assert post(client, "/app/signin", {"api_key": org_key}).status_code == 302
    assert client.get("/app/events").status_code == 200
    svc.keys.revoke(key_id)  # a revoked key ends the web session too
    assert client.get("/app/events").headers["Location"].startswith("/app/signin")


def test_member_profile_form_shows_schema_errors_next_to_fields(web_app, seeded) -> None:
    client = signed_in(web_app, "member", "t-fr-sme")
    page = client.get("/app/me/profile").get_data(as_text=True)
    assert 'value="Mécanique de Précision Garonne"' in page
    form = {"name": "Mécanique de Précision Garonne", "country": "Atlantide", "sector": "aeronautics",
            "offers-count": "1", "offers-0-type": "manufacturing", "offers-0-text": "ab", "offers-0-link": "",
            "contact-email": "pas-une-adresse"}
    bad = post(client, "/app/me/profile", form, token_page="/app/me/profile")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="f-country" name="country" type="text" value="Atlantide" aria-invalid="true"' in html
    assert "unknown country" in html and 'id="err-offers-0-text"' in html and 'id="err-contact-email"' in html


def test_member_suggestions_and_request_reach_the_outbox(web_app, seeded) -> None:
    client = signed_in(web_app, "member", "t-fr-sme")
    page = client.get("/app/me/suggestions?event=fair-1").get_data(as_text=True)
    assert "Eloxal Werk Bayern GmbH" in page and "surface" in page.lower()  # the anodiser fills the SME's gap
    assert "Cantina Colli Senesi" not in page  # not at the event
    target = seeded["pids"]["t-de-anodiser"]
    sent = post(client, "/app/events/fair-1/requests", {"to": target, "note": "Parlons anodisation", "priority": "3"},
                token_page="/app/me/suggestions?event=fair-1")
    assert sent.status_code == 303
    assert "Parlons anodisation" in client.get("/app/events/fair-1/requests").get_data(as_text=True)
    mails = web_app.extensions[EXTENSION].notifier().outbox.list("fair-1")
    assert [m["kind"] for m in mails] == ["request_received"]
    assert mails[0]["recipient"] == "t-de-anodiser@example.org"
    assert "https://maillon.example/app/signin/" in mails[0]["text"] and "Parlons anodisation" in mails[0]["text"]


def test_reasons_read_in_the_account_language(web_app, seeded) -> None:
    english = signed_in(web_app, "member", "t-fr-sme", "en-sme@example.org", language="en")
    french = signed_in(web_app, "member", "t-fr-sme", "fr-sme@example.org", language="fr")
    en_page = english.get("/app/me/suggestions?event=fair-1").get_data(as_text=True)
    fr_page = french.get("/app/me/suggestions?event=fair-1").get_data(as_text=True)
    assert "your need “" in en_page and "foreign partner in" in en_page
    assert "votre besoin « " in fr_page and "partenaire étranger en" in fr_page
    assert "your need “" not in fr_page and "foreign partner in" not in fr_page


def test_languages_from_browser_then_choice(web_app) -> None:
    client = browser(web_app)
    assert "Se connecter" in client.get("/app/signin", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True)
    post(client, "/app/language", {"lang": "en", "next": "/app/signin"})
    assert "Send me a sign-in link" in client.get("/app/signin", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)


def test_organiser_import_reports_bad_rows_and_keeps_good_ones(web_app, seeded) -> None:
    client = signed_in(web_app, "organiser", "org-a")
    sheet = (b"name;country;max_meetings;contact_email;fixed_table\n"
             b"Usinage Dupont;France;6;contact@dupont.example;\n"
             b"Narnia Tech;Narnia;4;;\n"
             b"Sans Limite;DE;beaucoup;x@y.example;\n"
             b"Table Fixe;IT;5;;99\n")
    report = post(client, "/app/events/fair-1/participants/import",
                  {"file": (io.BytesIO(sheet), "inscrits.csv")}, token_page="/app/events/fair-1",
                  content_type="multipart/form-data")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "1 of 4 rows registered" in html
    for row, field in (("3", "country"), ("4", "max_meetings"), ("5", "fixed_table")):
        assert f"<td>{row}</td><td>{field}</td>" in html
    names = [p["name"] for p in web_app.extensions[EXTENSION].event_service(SYSTEM).participants("fair-1")]
    assert "Usinage Dupont" in names and "Narnia Tech" not in names


def test_calendar_feed_by_secret_token(web_app, seeded) -> None:
    svc = web_app.extensions[EXTENSION]
    me = seeded["pids"]["t-fr-sme"]
    req = as_member(web_app, "t-fr-sme").send_request("fair-1", me, {"to": seeded["pids"]["t-de-anodiser"],
                                                                      "priority": 3})
    as_member(web_app, "t-de-anodiser").answer("fair-1", req["id"], accept=True)
    svc.agenda_service(SYSTEM).generate("fair-1", "preliminary", time_limit_s=5)
    client = signed_in(web_app, "member", "t-fr-sme")
    page = client.get("/app/events/fair-1/agenda").get_data(as_text=True)
    feed = page.split('id="feed" readonly value="')[1].split('"')[0]
    assert "/app/calendar/" in feed
    ics = browser(web_app).get(feed[feed.index("/app/"):])  # no session: the token is the key
    assert ics.status_code == 200 and ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data
    assert browser(web_app).get("/app/calendar/forged-token.ics").status_code == 401
    assert csrf_of(client, "/app/me")  # still signed in


def test_registered_member_gets_a_signin_link_from_their_contact_address(web_app, seeded) -> None:
    """No account yet: the address registered as the participant's contact is enough."""
    svc = web_app.extensions[EXTENSION]
    assert not svc.signin.accounts_of("t-es-machinist@example.org")
    assert post(browser(web_app), "/app/signin", {"email": "T-ES-Machinist@example.org"}).status_code == 200
    account = svc.signin.accounts_of("t-es-machinist@example.org")[0]
    assert (account.role, account.subject) == ("member", "t-es-machinist")
    mail = svc.notifier().outbox.list()[0]
    assert mail["kind"] == "signin_link" and mail["recipient"] == "t-es-machinist@example.org"
    assert not svc.signin.accounts_of("t-it-wine@example.org")  # not registered anywhere


def test_organiser_creates_an_event_with_errors_next_to_fields(web_app) -> None:
    client = signed_in(web_app, "organiser", "org-c")
    bad = post(client, "/app/events/new", {"title": "Rencontres Lyon", "days": "2027-06-01", "timezone": "Lune/Base",
                                           "sessions": "14:00-09:00", "slot_minutes": "2", "num_tables": "5"},
               token_page="/app/events/new")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for name in ("timezone", "sessions", "slot_minutes"):
        assert f'id="err-{name}"' in html
    assert 'value="Rencontres Lyon"' in html  # nothing typed is lost
    good = post(client, "/app/events/new", {"title": "Rencontres Lyon", "days": "2027-06-01 2027-06-02",
                                            "timezone": "Europe/Paris", "sessions": "09:00-12:00\n14:00-17:00",
                                            "breaks": "10:30-10:45", "slot_minutes": "30", "num_tables": "5"},
                token_page="/app/events/new")
    assert good.status_code == 303
    dashboard = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Rencontres Lyon" in dashboard and "5 tables" in dashboard
    assert "Rencontres Lyon" not in signed_in(web_app, "organiser", "org-d").get("/app/events").get_data(as_text=True)


def test_organiser_prints_pdf_agendas_and_table_sheets(web_app, seeded) -> None:
    svc = web_app.extensions[EXTENSION]
    pids = seeded["pids"]
    req = as_member(web_app, "t-fr-sme").send_request("fair-1", pids["t-fr-sme"], {"to": pids["t-de-anodiser"],
                                                                                  "priority": 3})
    as_member(web_app, "t-de-anodiser").answer("fair-1", req["id"], accept=True)
    svc.agenda_service(SYSTEM).generate("fair-1", "preliminary", time_limit_s=5)
    client = signed_in(web_app, "organiser", "org-a")
    agendas = client.get("/app/events/fair-1/print/participants.pdf")
    assert agendas.status_code == 200 and agendas.mimetype == "application/pdf" and agendas.data[:5] == b"%PDF-"
    assert agendas.data.count(b"/Type /Page\n") == len(pids)  # one page per participant
    tables = client.get("/app/events/fair-1/print/tables.pdf")
    assert tables.data[:5] == b"%PDF-" and tables.data.count(b"/Type /Page\n") == 1  # one table used
    assert signed_in(web_app, "organiser", "org-b").get("/app/events/fair-1/print/tables.pdf").status_code == 403
    french = signed_in(web_app, "organiser", "org-a", "org-a-fr@example.org", language="fr")
    page = french.get("/app/events/fair-1/print/participants").get_data(as_text=True)
    sme = page[page.index(f"({pids['t-fr-sme']})"):]
    sme = sme[: sme.index("</section>")]
    assert "<th>Pourquoi</th>" in sme and "Rendez-vous avec" in sme and "Eloxal Werk Bayern GmbH" in sme
    assert "@example.org" not in sme  # their profile keeps its contact from the network: so does the sheet
    assert "leur offre « " in sme or "votre offre « " in sme  # the matcher's reason, in French


def test_organiser_moves_a_meeting_on_the_board_and_sees_what_collides(web_app, seeded) -> None:
    svc = web_app.extensions[EXTENSION]
    pids = seeded["pids"]
    for frm, to in (("t-fr-sme", "t-de-anodiser"), ("t-es-machinist", "t-fr-sme")):
        req = as_member(web_app, frm).send_request("fair-1", pids[frm], {"to": pids[to], "priority": 3})
        as_member(web_app, to).answer("fair-1", req["id"], accept=True)
    agendas = svc.agenda_service(SYSTEM)
    agendas.generate("fair-1", "preliminary", time_limit_s=5)
    meetings = {frozenset((m["a"], m["b"])): m for m in agendas.schedule("fair-1")["schedule"]["meetings"]}
    first = meetings[frozenset((pids["t-fr-sme"], pids["t-de-anodiser"]))]
    second = meetings[frozenset((pids["t-fr-sme"], pids["t-es-machinist"]))]
    slots = svc.event_service(SYSTEM).event("fair-1")["slots"]
    version = agendas.schedule("fair-1")["version"]
    client = signed_in(web_app, "organiser", "org-a")
    board = f"/app/events/fair-1/board?a={first['a']}&b={first['b']}"
    assert 'id="move-form"' in client.get(board).get_data(as_text=True)  # the picked meeting's form is open

    # the SME already meets the machinist then: the board comes back with what collides
    clash = post(client, "/app/events/fair-1/board/move", {"a": first["a"], "b": first["b"], "table": "3",
                                                           "start": slots[second["slot"]]["start"]}, token_page=board)
    page = clash.get_data(as_text=True)
    assert clash.status_code == 409 and "This move collides:" in page and 'id="move-form"' in page
    assert "Mécanique de Précision Garonne already meets Mecanizados Tajo SL" in page
    assert agendas.schedule("fair-1")["version"] == version  # nothing was saved

    # another organiser cannot move it, through the page or the API (same service, same Guard)
    other, api = key_client(web_app, "organiser", "org-b")
    free = next(s for s in slots if s["id"] not in {m["slot"] for m in meetings.values()})
    form = {"a": first["a"], "b": first["b"], "start": free["start"], "table": "2"}
    assert post(other, "/app/events/fair-1/board/move", form, token_page="/app/events").status_code == 403
    assert api.post("/events/fair-1/meetings/move", json=form).status_code == 403

    moved = post(client, "/app/events/fair-1/board/move", form, token_page=board)
    assert moved.status_code == 303 and moved.headers["Location"].startswith("/app/events/fair-1/board#m-")
    audited = svc.audit.entries("/app/events/fair-1/board/move")
    assert [(e["action"], e["subject"]) for e in audited] == [("POST /app/events/<event_id>/board/move", "org-a")]
    now = {frozenset((m["a"], m["b"])): m for m in agendas.schedule("fair-1")["schedule"]["meetings"]}
    assert now[frozenset((first["a"], first["b"]))] | {"confirmed": True} == {**first, "slot": free["id"],
                                                                               "table": 1, "confirmed": True}
    assert "locked" in client.get("/app/events/fair-1/board").get_data(as_text=True)
    printed = client.get("/app/events/fair-1/print/participants").get_data(as_text=True)
    start = free["start"].replace("T", " ")  # the SME's printed agenda: the new time, table 2, the partner
    assert re.search(rf"{start}–[0-9:]+</td><td>2</td>\s*<td>Eloxal Werk Bayern GmbH</td>", printed)


def test_value_chain_links_and_reasons_read_in_the_managers_language(web_app, seeded) -> None:
    french = signed_in(web_app, "cluster_manager", "t-fr-aero", "fr-manager@example.org", language="fr")
    english = signed_in(web_app, "cluster_manager", "t-fr-aero", "en-manager@example.org", language="en")
    fr_page = french.get("/app/cluster/partners").get_data(as_text=True)
    en_page = english.get("/app/cluster/partners").get_data(as_text=True)
    assert '<span class="badge missing">Surface treatment</span>' in en_page
    assert '<span class="badge missing">Traitement de surface</span>' in fr_page
    assert "Surface treatment" not in fr_page and "comble Traitement de surface (" in fr_page
