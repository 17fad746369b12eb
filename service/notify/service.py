"""Notifier: renders a message now (so the outbox shows exactly what was sent), stores it and
enqueues its delivery as an RQ job with retries."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from service.access.policy import Guard
from service.access.signin import Account, SignIn
from service.notify.messages import language_of, render
from service.notify.outbox import Outbox
from service.queue import JobQueue

DELIVER_JOB = "service.notify.jobs.deliver"
RETRIES = 3
SIGNIN_PATH = "/app/signin/"


class Notifier:
    def __init__(self, outbox: Outbox, queue: Callable[[], JobQueue], signin: SignIn, public_url: str) -> None:
        self.outbox = outbox
        self.queue = queue
        self.signin = signin
        self.public_url = public_url.rstrip("/")

    def signin_url(self, account: Account, next_path: str = "") -> str:
        url = f"{self.public_url}{SIGNIN_PATH}{self.signin.token_for(account)}"
        return f"{url}?next={quote(next_path)}" if next_path else url

    def notify(self, kind: str, recipient: str, language: str | None, context: dict[str, Any],
               event_id: str | None = None) -> str:
        lang = language_of(language)
        subject, text, html = render(kind, lang, {**context, "public_url": self.public_url})
        mail_id = self.outbox.add(kind, recipient, lang, subject, text, html, event_id)
        self.queue().enqueue(DELIVER_JOB, mail_id, description=f"e-mail {kind} to {recipient}",
                             retries=RETRIES, meta={"key_id": "system"})
        return mail_id

    def send_signin_links(self, email: str, next_path: str = "", participants: Any = None) -> int:
        """One message listing a link per account of the address; silent when it has none, so the
        form never tells whether an address is known. `participants` (an EventStore) lets a member
        registered at an event with this contact address get their account on first use."""
        if participants is not None:
            self._accounts_from_participations(email, participants)
        accounts = self.signin.accounts_of(email)
        if not accounts:
            return 0
        links = [{"role": a.role, "subject": a.subject, "name": a.name, "url": self.signin_url(a, next_path)}
                 for a in accounts]
        self.notify("signin_link", accounts[0].email, accounts[0].language, {"links": links})
        return len(links)

    def _accounts_from_participations(self, email: str, store: Any) -> None:
        wanted = email.strip().lower()
        for event in store.events():
            for p in store.participants(event["id"]):
                if p.get("member_id") and ((p.get("contact") or {}).get("email") or "").strip().lower() == wanted:
                    self.signin.register(wanted, "member", p["member_id"], p.get("name") or "")

    def event_outbox(self, guard: Guard, event: dict[str, Any]) -> list[dict[str, Any]]:
        guard.check_event_manage(event)
        return self.outbox.list(event["id"])
