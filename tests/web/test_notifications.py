"""Notifications end to end: pages → outbox → RQ job (a real worker) → a real local SMTP server
(aiosmtpd), whose received messages the tests read."""
from __future__ import annotations

import email
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from service import EXTENSION
from service.access.keys import SYSTEM
from tests.web.conftest import EVENT, Inbox, as_member, browser, post, signed_in


def _notified(response) -> int:
    """How many participants the page says were told (the redirect's `notified`)."""
    return int(parse_qs(urlsplit(response.headers["Location"]).query)["notified"][0])


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
    told = _notified(published)
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
    changed = inbox.wait_for(before + _notified(again))[before:]
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
    count = _notified(sent)
    assert count == len(mail_app.config["seeded"]["pids"]) - 1  # t-de-busy cancelled
    reminders = inbox.wait_for(before + count)[before:]
    sme = next(m for m in reminders if m["To"] == "t-fr-sme@example.org")
    assert sme["Subject"] == "Reminder: your meetings at Salon Aéro B2B"
    assert "Mecanizados Tajo SL" in sme.get_body(preferencelist=("plain",)).get_content()


def _api(app, role: str, subject: str):
    _, token = app.extensions[EXTENSION].keys.create(role, subject, f"notification test {subject}")
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = token
    return client


def test_requests_through_the_json_api_notify_like_the_pages(mail_app, inbox: Inbox) -> None:
    """The API's send, accept and decline go through MeetingRequests too: the same e-mails."""
    pids = mail_app.config["seeded"]["pids"]
    anodiser, machinist, secret = (_api(mail_app, "member", m) for m in ("t-de-anodiser", "t-es-machinist",
                                                                         "t-de-secret"))
    before = len(inbox.messages)
    sent = anodiser.post(f"/events/fair-1/participants/{pids['t-de-anodiser']}/requests",
                         json={"to": pids["t-es-machinist"], "note": "¿Mecanizado de 5 ejes para piezas anodizadas?"})
    assert sent.status_code == 201, sent.get_json()
    received = inbox.wait_for(before + 1)[-1]
    assert received["To"] == "t-es-machinist@example.org"
    assert received["Subject"].startswith("Eloxal Werk Bayern GmbH")  # the sender, in the addressee's language
    assert "¿Mecanizado de 5 ejes" in _text(received) and "/app/signin/" in _text(received)

    accepted = machinist.post(f"/events/fair-1/requests/{sent.get_json()['id']}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    told = inbox.wait_for(before + 2)[-1]
    assert told["To"] == "t-de-anodiser@example.org" and told["Content-Language"] == "fr"  # their account's
    assert told["Subject"] == "Mecanizados Tajo SL accepte de vous rencontrer à Salon Aéro B2B"

    asked = secret.post(f"/events/fair-1/participants/{pids['t-de-secret']}/requests",
                        json={"to": pids["t-de-anodiser"], "priority": 1})
    assert asked.status_code == 201
    inbox.wait_for(before + 3)
    declined = anodiser.post(f"/events/fair-1/requests/{asked.get_json()['id']}/decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    answer = inbox.wait_for(before + 4)[-1]
    assert answer["To"] == "t-de-secret@example.org"
    assert answer["Subject"] == "Eloxal Werk Bayern GmbH declined to meet you at Salon Aéro B2B"
    outbox = signed_in(mail_app, "organiser", "org-a").get("/app/events/fair-1/outbox").get_data(as_text=True)
    assert "t-de-secret@example.org" in outbox and "t-es-machinist@example.org" in outbox


def test_publishing_a_final_agenda_schedules_one_reminder_before_the_event(mail_app, inbox: Inbox) -> None:
    """The worker's scheduler sends the reminder a lead time before the first session; publishing
    again replaces the waiting job; inside the lead time nothing is scheduled."""
    from datetime import UTC, datetime, timedelta

    from service import create_app
    from service.notify.reminders import reminder_job_id

    svc = mail_app.extensions[EXTENSION]
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    zone, local = ("UTC", start) if start.hour < 22 else ("Etc/GMT+12", start - timedelta(hours=12))
    svc.event_service(SYSTEM).create_event({
        **EVENT, "id": "atelier-soon", "title": "Atelier Usinage Express", "days": [local.date().isoformat()],
        "timezone": zone, "sessions": [{"start": local.strftime("%H:%M"),
                                        "end": (local + timedelta(minutes=60)).strftime("%H:%M")}],
        "breaks": [], "slot_minutes": 20, "num_tables": 2, "owner": "org-a"})
    pids = {m: as_member(mail_app, m).register("atelier-soon", {"member_id": m,
                                                               "contact": {"email": f"{m}@example.org"}})["id"]
            for m in ("t-fr-sme", "t-es-machinist")}
    req = as_member(mail_app, "t-fr-sme").send_request("atelier-soon", pids["t-fr-sme"],
                                                      {"to": pids["t-es-machinist"], "note": "Fraisage titane"})
    as_member(mail_app, "t-es-machinist").answer("atelier-soon", req["id"], accept=True)
    svc.agenda_service(SYSTEM).generate("atelier-soon", "final", time_limit_s=5)

    # an app whose lead time puts the reminder 15 s from now (the setting; 24 h by default)
    lead_h = ((start - datetime.now(UTC)).total_seconds() - 15) / 3600
    s = svc.settings
    app = create_app({"data_dir": s.data_dir, "embedder": svc.embedder, "redis_url": svc.redis_url(),
                      "model_name": s.model_name, "public_url": s.public_url, "smtp_host": s.smtp_host,
                      "smtp_port": s.smtp_port, "reminder_lead_hours": lead_h})
    organiser = signed_in(app, "organiser", "org-a")
    queue = app.extensions[EXTENSION].queue
    before = len(inbox.messages)
    first = post(organiser, "/app/events/atelier-soon/publish", token_page="/app/events/atelier-soon")
    assert first.status_code == 303 and "reminder=" in first.headers["Location"]
    inbox.wait_for(before + 2)  # the agenda itself, to both
    due = queue.scheduled_at(reminder_job_id("atelier-soon"))
    assert due is not None and abs((due - (start - timedelta(hours=lead_h))).total_seconds()) < 1
    again = post(organiser, "/app/events/atelier-soon/publish", token_page="/app/events/atelier-soon")
    assert again.status_code == 303 and _notified(again) == 0  # nothing changed
    scheduled = queue.queue.scheduled_job_registry.get_job_ids()
    assert scheduled.count(reminder_job_id("atelier-soon")) == 1 and len(scheduled) == 1  # replaced, not added
    assert "scheduled for" in organiser.get(again.headers["Location"]).get_data(as_text=True)

    subject = "Reminder: your meetings at Atelier Usinage Express"
    reminders = [m for m in inbox.wait_for(before + 4, timeout_s=90)[before:] if m["Subject"] == subject]
    assert sorted(m["To"] for m in reminders) == ["t-es-machinist@example.org", "t-fr-sme@example.org"]
    assert "Mecanizados Tajo SL" in next(_text(m) for m in reminders if m["To"] == "t-fr-sme@example.org")
    time.sleep(3)
    assert [m["Subject"] for m in inbox.messages[before:]].count(subject) == 2  # one job ran, once

    # now inside the lead time: publishing schedules nothing and says so
    late = post(organiser, "/app/events/atelier-soon/publish", token_page="/app/events/atelier-soon")
    assert "reminder=inside_lead_time" in late.headers["Location"]
    assert queue.scheduled_at(reminder_job_id("atelier-soon")) is None
    assert "no reminder is scheduled" in organiser.get(late.headers["Location"]).get_data(as_text=True)
