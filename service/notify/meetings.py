"""The meeting-request workflow with its notifications: EventService decides, this tells the
other side (request received; accepted or declined), with a sign-in link to answer."""
from __future__ import annotations

from typing import Any

from service.notify.service import Notifier

KINDS = {"received": "request_received", "accepted": "request_accepted", "declined": "request_declined"}


class MeetingRequests:
    def __init__(self, events: Any, notifier: Notifier) -> None:
        self.events = events
        self.notifier = notifier

    def send(self, event_id: str, frm: str, data: dict[str, Any]) -> dict[str, Any]:
        req = self.events.send_request(event_id, frm, data)
        self._tell(event_id, req["to"], req["from"], "received", req)
        return req

    def answer(self, event_id: str, rid: str, accept: bool) -> dict[str, Any]:
        req = self.events.answer(event_id, rid, accept)
        self._tell(event_id, req["from"], req["to"], req["status"], req)
        return req

    def _tell(self, event_id: str, pid: str, other_pid: str, what: str, req: dict[str, Any]) -> str | None:
        """Mail participant `pid` about `req`; None when they have no address."""
        event = self.events.event(event_id)
        me, other = self.events.participant(event_id, pid), self.events.participant(event_id, other_pid)
        account = self._account(me)
        email = account.email if account else ((me.get("contact") or {}).get("email"))
        if not email:
            return None
        next_path = f"/app/events/{event_id}/requests"
        context = {"event": {"id": event_id, "title": event.get("title") or event_id},
                   "me": me.get("name") or pid, "other": other.get("name") or other_pid,
                   "other_org": other.get("sector") or "", "other_country": other.get("country") or "",
                   "note": req.get("note") or "", "expires_at": req.get("expires_at") or "",
                   "url": self.notifier.signin_url(account, next_path) if account
                   else f"{self.notifier.public_url}{next_path}"}
        return self.notifier.notify(KINDS[what], email, account.language if account else None, context, event_id)

    def _account(self, participant: dict[str, Any]) -> Any:
        """The member's sign-in account, created from the participant's contact when missing."""
        member_id = participant.get("member_id")
        if not member_id:
            return None
        signin = self.notifier.signin
        found = signin.account_for("member", member_id)
        email = (participant.get("contact") or {}).get("email")
        if found is None and email:
            found = signin.register(email, "member", member_id, participant.get("name") or "")
        return found
