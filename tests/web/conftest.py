"""Web app fixtures: an app with the real model and Redis, profiles ingested from the test data,
an event with its participants, and browser-like clients signed in by link or key."""
from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app
from service.access.keys import SYSTEM, Principal
from service.index.base import ProfileFilter
from service.local_redis import LocalRedis

DATA = Path(__file__).resolve().parent.parent / "data"
EVENT = {"id": "fair-1", "title": "Salon Aéro B2B", "days": ["2027-03-10"], "timezone": "Europe/Paris",
         "sessions": [{"start": "09:00", "end": "12:00"}], "breaks": [], "slot_minutes": 30, "num_tables": 3,
         "max_requests_per_participant": 5, "request_expiry_hours": 48, "max_meetings_default": None,
         "booking_deadline": None}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(app) -> dict:
    """Profiles from tests/data, one event of organiser org-a with every member but one."""
    svc = app.extensions[EXTENSION]
    for kind in ("clusters", "members"):
        path = DATA / f"match_{kind}.jsonl"
        report = ingest(read_records(path, kind), kind, svc.index, svc.embedder, svc.domain, source=path.name)
        assert report.ok, report.errors
    events = svc.event_service(SYSTEM)
    events.create_event({**EVENT, "owner": "org-a"})
    members = sorted(d["id"] for d in svc.index.search("members", ProfileFilter(), 0, 50).items)
    outsider = "t-it-wine"  # a member not registered at the event
    # Each member registers itself (an organiser could only invite it: consent for contact).
    pids = {m: svc.event_service(Principal(f"test:{m}", "member", m)).register(
                "fair-1", {"member_id": m, "contact": {"email": f"{m}@example.org"}})["id"]
            for m in members if m != outsider}
    return {"members": members, "outsider": outsider, "pids": pids}


@pytest.fixture
def web_app(tmp_path: Path, embedder, redis_url: str):
    return create_app({"data_dir": tmp_path, "embedder": embedder, "redis_url": redis_url,
                       "model_name": embedder.name, "public_url": "https://maillon.example"})


@pytest.fixture
def seeded(web_app) -> dict:
    return seed(web_app)


def browser(app):
    """A test client that speaks HTTPS (the session cookie is Secure) and keeps cookies."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def csrf_of(client, path: str = "/app/signin") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path: str, data: dict | None = None, token_page: str = "/app/signin", **kwargs):
    """A form post with the page's CSRF token, as a browser sends it (Referer for the HTTPS check)."""
    token = csrf_of(client, token_page)
    return client.post(path, data={**(data or {}), "csrf_token": token},
                       headers={"Referer": "https://localhost/app/"}, **kwargs)


def signed_in(app, role: str, subject: str | None, email: str | None = None, language: str | None = None):
    """A client signed in through a personal link, as the account (role, subject)."""
    svc = app.extensions[EXTENSION]
    account = svc.signin.register(email or f"{subject or role}@example.org", role, subject, language=language)
    token = svc.signin.token_for(account)
    client = browser(app)
    response = post(client, f"/app/signin/{token}", token_page=f"/app/signin/{token}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def key_client(app, role: str, subject: str | None):
    svc = app.extensions[EXTENSION]
    _, token = svc.keys.create(role, subject, f"web test {role}")
    client = browser(app)
    assert post(client, "/app/signin", {"api_key": token}).status_code == 302
    api = app.test_client()
    api.environ_base["HTTP_X_API_KEY"] = token
    return client, api


SMTP_PORT = int(os.environ.get("MAILLON_TEST_SMTP_PORT", "2525"))  # another port where 2525 is taken


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout_s: float = 60) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"{len(self.messages)} message(s) received, {count} expected"
        return self.messages


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield handler
    controller.stop()


@contextmanager
def mail_stack(data_dir: Path, embedder, public_url: str) -> Iterator:
    """An app and its own worker (own Redis, so no other test's worker takes these jobs), both
    sending through the local SMTP server; the profiles and event of `seed` are in."""
    redis = LocalRedis(data_dir / "redis")
    url = redis.start()
    env = dict(os.environ, MAILLON_DATA_DIR=str(data_dir), REDIS_URL=url, MAILLON_MODEL=embedder.name,
               MAILLON_SMTP_HOST="127.0.0.1", MAILLON_SMTP_PORT=str(SMTP_PORT), MAILLON_PUBLIC_URL=public_url)
    log = (data_dir / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "indexers", "worker"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        app = create_app({"data_dir": data_dir, "embedder": embedder, "redis_url": url, "model_name": embedder.name,
                          "public_url": public_url, "smtp_host": "127.0.0.1", "smtp_port": SMTP_PORT})
        app.config["seeded"] = seed(app)
        yield app
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        redis.stop()


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory, embedder, inbox: Inbox) -> Iterator:
    with mail_stack(tmp_path_factory.mktemp("web-mail"), embedder, "https://maillon.example") as app:
        yield app


def as_member(app, member_id: str):
    """The events service as a member acting for itself (only the addressee answers a request)."""
    return app.extensions[EXTENSION].event_service(Principal(f"test:{member_id}", "member", member_id))
