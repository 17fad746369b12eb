"""Notifications end to end: pages → outbox → RQ job (a real worker) → a real local SMTP server
(aiosmtpd), whose received messages the tests read."""
from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pytest

from service import EXTENSION
from service.access.keys import SYSTEM
from tests.web.conftest import Inbox, as_member, browser, post, signed_in


def _text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_request_received_then_accepted_from_the_mailed_link(mail_app, inbox: Inbox) -> None:
    pids = mail_app.config["seeded"]["pids"]
    svc = mail_app.extensions[EXTENSION]
    svc.signin.register("t-de-anodiser@example.org", "member", "t-de-anodiser", language="fr")
    sme = signed_in(mail_app, "member", "t-fr-sme", email="t-fr-sme@example.org", language="en")
    sent = post(sme, "/app/events/fair-1/requests", {"to": pids["t-de-anodiser"], "note": "Eloxieren von Alu?"},
                token_page="/app/me")
    assert sent.status_code == 303

    received = inbox.wait_for(1)[-1]
    assert received["To"] == "t-de-anodiser@example.org"
    assert received["Subject"] == "Mécanique de Précision Garonne souhaite vous rencontrer à Salon Aéro B2B"
    assert received["Content-Language"] == "fr"
    body = _text(received)
    assert "Eloxieren von Alu?" in body and "Acceptez ou déclinez" in body
    assert received.get_body(preferencelist=("html",)) is not None  # plain text with an HTML alternative

    link = re.search(r"https://maillon\.example(/app/signin/\S+)", body).group(1)
    target = browser(mail_app)
    signed = post(target, link, token_page=link)
    assert signed.status_code == 302 and signed.headers["Location"] == "/app/events/fair-1/requests"
    page = target.get("/app/events/fair-1/requests").get_data(as_text=True)
    rid = re.search(r'/app/events/fair-1/requests/(r-[0-9a-f]+)/accept', page).group(1)
    assert post(target, f"/app/events/fair-1/requests/{rid}/accept", token_page="/app/events/fair-1/requests") \
        .status_code == 303

    accepted = inbox.wait_for(2)[-1]
    assert accepted["To"] == "t-fr-sme@example.org"
    assert accepted["Subject"] == "Eloxal Werk Bayern GmbH accepted to meet you at Salon Aéro B2B"

    organiser = signed_in(mail_app, "organiser", "org-a")
    outbox = organiser.get("/app/events/fair-1/outbox").get_data(as_text=True)
    assert outbox.count(">sent<") == 2
    # the member's page does not open the organiser's outbox
    assert target.get("/app/events/fair-1/outbox").status_code == 403


def test_signin_link_by_mail_in_the_accounts_language(mail_app, inbox: Inbox) -> None:
    svc = mail_app.extensions[EXTENSION]
    svc.signin.register("Claire.Martin@Example.org", "cluster_manager", "t-fr-aero", "Claire", language="fr")
    before = len(inbox.messages)
    client = browser(mail_app)
    assert post(client, "/app/signin", {"email": "claire.martin@example.org"}).status_code == 200
    assert post(client, "/app/signin", {"email": "nobody@example.org"}).status_code == 200  # same answer
    message = inbox.wait_for(before + 1)[-1]
    assert message["Subject"] == "Votre lien de connexion à Maillon"
    link = re.search(r"https://maillon\.example(/app/signin/\S+)", _text(message)).group(1)
    assert post(client, link, token_page=link).headers["Location"] == "/app/cluster"
    time.sleep(1)
    assert len(inbox.messages) == before + 1  # nothing was sent to the unknown address


def test_delivery_failure_is_recorded_for_a_retry(tmp_path: Path, mail_app) -> None:
    """Outside RQ (no retries left) an unreachable server marks the message failed, with the error."""
    from service.notify import jobs

    svc = mail_app.extensions[EXTENSION]
    mail_id = svc.notifier().outbox.add("signin_link", "x@example.org", "en", "s", "t", "", None)
    from dataclasses import replace

    from service.container import set_current_services

    set_current_services(replace(svc, settings=replace(svc.settings, smtp_port=1)))
    try:
        with pytest.raises(OSError):
            jobs.deliver(mail_id)
    finally:
        set_current_services(None)
    stored = svc.notifier().outbox.get(mail_id)
    assert stored["status"] == "failed" and stored["attempts"] == 1 and "Connection refused" in stored["error"]


def test_agenda_published_then_changed_tells_what_changed(mail_app, inbox: Inbox) -> None:
    svc = mail_app.extensions[EXTENSION]
    pids = mail_app.config["seeded"]["pids"]
    for frm, to in (("t-fr-sme", "t-es-machinist"), ("t-de-busy", "t-es-machinist")):
        req = as_member(mail_app, frm).send_request("fair-1", pids[frm], {"to": pids[to], "priority": 3})
        as_member(mail_app, to).answer("fair-1", req["id"], accept=True)
    svc.agenda_service(SYSTEM).generate("fair-1", "preliminary", time_limit_s=5)
    organiser = signed_in(mail_app, "organiser", "org-a")
    before = len(inbox.messages)
    published = post(organiser, "/app/events/fair-1/publish", token_page="/app/events/fair-1")
    assert published.status_code == 303 and "notified=" in published.headers["Location"]
    told = int(published.headers["Location"].split("notified=")[1])
    assert told == len(pids)  # the first publication goes to everyone with an address
    mails = inbox.wait_for(before + told)[before:]
    machinist = next(m for m in mails if m["To"] == "t-es-machinist@example.org")
    text = machinist.get_body(preferencelist=("plain",)).get_content()
    assert machinist["Subject"] == "Your agenda for Salon Aéro B2B"
    assert "Mécanique de Précision Garonne" in text and "Oberflächen Müller AG" in text

    svc.event_service(SYSTEM).cancel_participant("fair-1", pids["t-de-busy"])
    svc.agenda_service(SYSTEM).generate("fair-1", "preliminary", time_limit_s=5)
    before = len(inbox.messages)
    again = post(organiser, "/app/events/fair-1/publish", token_page="/app/events/fair-1")
    changed = inbox.wait_for(before + int(again.headers["Location"].split("notified=")[1]))[before:]
    to_machinist = [m for m in changed if m["To"] == "t-es-machinist@example.org"]
    assert len(to_machinist) == 1 and "has changed" in to_machinist[0]["Subject"]
    body = to_machinist[0].get_body(preferencelist=("plain",)).get_content()
    assert "cancelled:" in body and "Oberflächen Müller AG" in body
    assert all(m["To"] != "t-it-wine@example.org" for m in changed)  # not a participant


def test_reminder_before_the_event(mail_app, inbox: Inbox) -> None:
    """After the agenda test above: everyone still registered gets their meetings again."""
    organiser = signed_in(mail_app, "organiser", "org-a")
    before = len(inbox.messages)
    sent = post(organiser, "/app/events/fair-1/remind", token_page="/app/events/fair-1")
    count = int(sent.headers["Location"].split("notified=")[1])
    assert count == len(mail_app.config["seeded"]["pids"]) - 1  # t-de-busy cancelled
    reminders = inbox.wait_for(before + count)[before:]
    sme = next(m for m in reminders if m["To"] == "t-fr-sme@example.org")
    assert sme["Subject"] == "Reminder: your meetings at Salon Aéro B2B"
    assert "Mecanizados Tajo SL" in sme.get_body(preferencelist=("plain",)).get_content()
