"""EventService: events, registration and the meeting-request workflow (send, accept, decline,
expire, caps, deadlines); builds the solver's instance from them."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from service.access.policy import Guard
from service.agenda.formats import dump_instance, load_instance
from service.agenda.model import Instance
from service.errors import ConflictError, InvalidRequestError, NotFoundError
from service.events.calendar import build_slots, windows_to_intervals, with_times
from service.events.store import EventStore
from service.events.tables import table_index, table_label
from service.index.base import ProfileIndex
from service.privacy import can_see

OPEN = ("pending", "accepted")
# Request statuses of the workflow → the interchange format's three.
FORMAT_STATUS = {"pending": "pending", "accepted": "accepted", "declined": "declined",
                 "expired": "declined", "cancelled": "declined"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class EventService:
    def __init__(self, store: EventStore, index: ProfileIndex | None = None,
                 clock: Callable[[], datetime] = utcnow, *, guard: Guard,
                 listeners: tuple[Callable[[str, dict[str, Any]], Any], ...] = ()) -> None:
        self.store = store
        self.listeners = listeners  # told of every answered request (the cooperation pipeline)
        self.index = index
        self.clock = clock
        self.guard = guard

    # -- events -------------------------------------------------------------------------------
    def create_event(self, data: dict[str, Any]) -> dict[str, Any]:
        self.guard.check_event_create()
        event = dict(data)
        event["owner"] = self.guard.principal.subject if self.guard.principal.role == "organiser" else data.get("owner")
        event["id"] = event.get("id") or f"ev-{uuid.uuid4().hex[:10]}"
        if self.store.event(event["id"]):
            raise ConflictError(f"event {event['id']!r} exists already")
        event["days"] = [str(d) for d in event["days"]]
        if event.get("booking_deadline"):
            event["booking_deadline"] = _iso(event["booking_deadline"])
        event["slots"] = build_slots(event["days"], event["sessions"], event["slot_minutes"], event.get("breaks"))
        if not event["slots"]:
            raise InvalidRequestError("the sessions hold no slot of that length", {"sessions": ["no slots"]})
        event["state"] = "open"
        self.store.put_event(event)
        return event

    def list_events(self) -> list[dict[str, Any]]:
        """Events the caller can see: all of them, each with whether one can still join and the
        caller's own participation (members); organisers see their own events."""
        who = self.guard.principal
        now = _iso(self.clock())
        out = []
        for event in self.store.events():
            if who.role == "organiser" and not self.guard.manages_event(event):
                continue
            mine = None
            if who.role == "member":
                mine = next(({"id": p["id"], "status": p["status"]}
                             for p in self.store.participants(event["id"], include_cancelled=True)
                             if p.get("member_id") == who.subject), None)
            deadline = event.get("booking_deadline")
            out.append({**{k: event.get(k) for k in ("id", "title", "days", "timezone", "state", "booking_deadline")},
                        "joinable": event.get("state") != "closed" and not (deadline and deadline <= now),
                        "participation": mine})
        return out

    def event(self, event_id: str) -> dict[str, Any]:
        event = self.store.event(event_id)
        if event is None:
            raise NotFoundError(f"no event {event_id!r}")
        return event

    def import_instance(self, data: Any) -> dict[str, Any]:
        """Create an event from a b2b-sched-instance/1 file, participants and requests included."""
        self.guard.check_event_create()
        inst = load_instance(data)
        doc = dump_instance(inst)
        if self.store.event(inst.name):
            raise ConflictError(f"event {inst.name!r} exists already")
        meta = doc["event"]
        event = {"id": inst.name, "title": meta.get("title") or inst.name, "timezone": meta.get("timezone", "UTC"),
                 "days": sorted({s.start[:10] for s in inst.slots}), "sessions": [], "breaks": [],
                 "slot_minutes": meta.get("slot_minutes"), "num_tables": inst.num_tables,
                 "booking_deadline": None, "request_expiry_hours": 72, "max_requests_per_participant": 10_000,
                 "max_meetings_default": None, "slots": doc["slots"], "state": "open", "format_event": meta,
                 "table_labels": inst.table_labels,
                 "owner": self.guard.principal.subject if self.guard.principal.role == "organiser" else None}
        extras = {p.id: p.extra for p in inst.participants}
        with self.store.transaction() as conn:
            self.store.put_event(event, conn)
            for p in doc["participants"]:
                # Members named in an imported file are invited: they consent before taking part.
                status = "invited" if p.get("member_id") else "registered"
                self.store.put_participant(inst.name, {**p, "member_id": p.get("member_id"), "status": status,
                                                       "fixed_table_label": table_label(event, p["fixed_table"]),
                                                       "format_extra": extras[p["id"]]}, conn)
            for r in doc["requests"]:
                self.store.put_request(inst.name, {**r, "note": "", "expires_at": None, "answered_at": None}, conn)
        return {**event, "warnings": inst.warnings}

    def export_instance(self, event_id: str) -> dict[str, Any]:
        self.guard.check_event_manage(self.event(event_id))
        return dump_instance(self.instance(event_id))

    def participants(self, event_id: str) -> list[dict[str, Any]]:
        event = self.event(event_id)
        found = self.store.participants(event_id, include_cancelled=True)  # listed as cancelled
        self.guard.check_participant_list(event, found)
        return [with_times(event, p) for p in found]

    # -- participants -------------------------------------------------------------------------
    def register(self, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
        event = self.event(event_id)
        self.guard.check_register(event, data)
        doc = dict(data)
        if doc.get("member_id"):
            doc = self._member_registration(doc)
        if not doc.get("name"):
            raise InvalidRequestError("a name is required (or a member_id)", {"name": ["missing"]})
        doc["id"] = doc.get("id") or f"p-{uuid.uuid4().hex[:10]}"
        if doc.get("availability") is not None:
            doc["availability"] = windows_to_intervals(event["slots"], doc["availability"])
        if doc.get("max_meetings") is None:
            doc["max_meetings"] = event.get("max_meetings_default")
        if doc.get("fixed_table") is not None:  # people name tables by label
            doc["fixed_table"] = table_index(event, doc["fixed_table"])
            doc["fixed_table_label"] = table_label(event, doc["fixed_table"])
        with self.store.transaction() as conn:
            if self.store.participant(event_id, doc["id"]):
                raise ConflictError(f"participant {doc['id']!r} is registered already")
            table = doc.get("fixed_table")
            if table is not None:
                if any(p.get("fixed_table") == table for p in self.store.participants(event_id)):
                    raise ConflictError(f"table {doc['fixed_table_label']} is already someone's fixed table")
            self._check_one_participation(event_id, doc, conn)
            doc["status"] = doc.get("status") or "registered"
            self.store.put_participant(event_id, doc, conn)
        return with_times(event, doc)

    def participant(self, event_id: str, pid: str) -> dict[str, Any]:
        found = self.store.participant(event_id, pid)
        if found is None:
            raise NotFoundError(f"no participant {pid!r} at event {event_id!r}")
        return found

    def cancel_participant(self, event_id: str, pid: str) -> dict[str, Any]:
        """A cancelled participant's open requests are cancelled; their fixed table is freed."""
        doc = self.participant(event_id, pid)
        self.guard.check_participant(self.event(event_id), doc, "cancel")
        now = _iso(self.clock())
        with self.store.transaction() as conn:
            doc.update(status="cancelled", fixed_table=None, fixed_table_label=None)
            self.store.put_participant(event_id, doc, conn)
            for req in self.store.requests(event_id, participant=pid, conn=conn):
                if req["status"] in OPEN:
                    self.store.put_request(event_id, {**req, "status": "cancelled", "answered_at": now}, conn)
        return with_times(self.event(event_id), doc)

    # -- requests -----------------------------------------------------------------------------
    def send_request(self, event_id: str, frm: str, data: dict[str, Any]) -> dict[str, Any]:
        event = self.event(event_id)
        now = self.clock()
        if event.get("booking_deadline") and now > datetime.fromisoformat(event["booking_deadline"]):
            raise ConflictError(f"bookings closed at {event['booking_deadline']}")
        to = data["to"]
        if to == frm:
            raise InvalidRequestError("a participant cannot request a meeting with itself", {"to": ["self"]})
        self.guard.check_participant(event, self.participant(event_id, frm), "send requests")
        for pid in (frm, to):
            status = self.participant(event_id, pid)["status"]
            if status != "registered":
                raise ConflictError(f"participant {pid!r} is {status}, not registered")
        self.expire(event_id)
        with self.store.transaction() as conn:
            mine = [r for r in self.store.requests(event_id, participant=frm, conn=conn) if r["status"] in OPEN]
            waiting = next((r for r in mine if {r["from"], r["to"]} == {frm, to}), None)
            if waiting is not None:
                raise reciprocal_conflict(waiting, frm, to)
            sent = sum(1 for r in mine if r["from"] == frm)
            cap = event["max_requests_per_participant"]
            if sent >= cap:
                raise ConflictError(f"request cap reached: {sent} open requests (max_requests_per_participant={cap})")
            expires = now + timedelta(hours=event["request_expiry_hours"])
            doc = {"id": f"r-{uuid.uuid4().hex[:12]}", "from": frm, "to": to, "note": data.get("note", ""),
                   "priority": data.get("priority", 2), "status": "pending", "created_at": _iso(now),
                   "expires_at": _iso(expires), "answered_at": None}
            self.store.put_request(event_id, doc, conn)
        return doc

    def answer(self, event_id: str, rid: str, accept: bool, actor: str | None = None) -> dict[str, Any]:
        self.expire(event_id)
        req = self.store.request(event_id, rid)
        if req is None:
            raise NotFoundError(f"no request {rid!r} at event {event_id!r}")
        self.guard.check_answer(self.event(event_id), self.participant(event_id, req["to"]))
        if actor is not None and actor != req["to"]:
            raise ConflictError("only the requested participant answers a request")
        if req["status"] != "pending":
            raise ConflictError(f"request {rid!r} is {req['status']}, not pending")
        req.update(status="accepted" if accept else "declined", answered_at=_iso(self.clock()))
        self.store.put_request(event_id, req)
        for listener in self.listeners:
            listener(event_id, req)
        return req

    def expire(self, event_id: str) -> int:
        """Pending requests past their expiry no longer block anyone's slots."""
        now = _iso(self.clock())
        expired = 0
        with self.store.transaction() as conn:
            for req in self.store.requests(event_id, status="pending", conn=conn):
                if req.get("expires_at") and req["expires_at"] <= now:
                    self.store.put_request(event_id, {**req, "status": "expired"}, conn)
                    expired += 1
        return expired

    def requests(self, event_id: str, participant: str | None = None) -> list[dict[str, Any]]:
        event = self.event(event_id)
        if participant:
            self.guard.check_participant(event, self.participant(event_id, participant), "read requests")
        else:
            self.guard.check_event_manage(event)
        self.expire(event_id)
        return self.store.requests(event_id, participant=participant)

    # -- the solver's view --------------------------------------------------------------------
    def instance(self, event_id: str) -> Instance:
        event = self.event(event_id)
        self.expire(event_id)
        participants = self.live_participants(event_id)
        live = {p["id"] for p in participants}
        fmt_event = event.get("format_event") or {
            "title": event["title"], "slot_minutes": event["slot_minutes"], "days": len(event["days"]),
            "first_day": event["days"][0], "timezone": event.get("timezone"), "venue": event.get("venue")}
        doc = {
            "format": "b2b-sched-instance/1", "name": event["id"], "event": fmt_event,
            "slots": event["slots"], "num_tables": event["num_tables"],
            "table_labels": event.get("table_labels"),
            "participants": [
                {"id": p["id"], "name": p.get("name", ""), "org_type": p.get("org_type"),
                 "country": p.get("country"), "sector": p.get("sector"), "max_meetings": p.get("max_meetings"),
                 "availability": p.get("availability"), "fixed_table": p.get("fixed_table"),
                 **(p.get("format_extra") or {})}  # an imported file's own fields round-trip
                for p in participants],
            "requests": [
                {"id": r["id"], "from": r["from"], "to": r["to"], "priority": r["priority"],
                 "status": FORMAT_STATUS[r["status"]], "created_at": r["created_at"]}
                for r in self.store.requests(event_id) if r["from"] in live and r["to"] in live],
        }
        return load_instance(doc)

    def member_ids(self, event_id: str) -> set[str]:
        """Member profiles registered at the event (restricts matching to co-present partners)."""
        return {p["member_id"] for p in self.live_participants(self.event(event_id)["id"]) if p.get("member_id")}

    # -- consent --------------------------------------------------------------------------------
    def live_participants(self, event_id: str) -> list[dict[str, Any]]:
        """Registered participants: neither cancelled nor invitations still unanswered."""
        return [p for p in self.store.participants(event_id) if p.get("status", "registered") == "registered"]

    def require_not_invited(self, event_id: str, pid: str) -> None:
        """An invitation not yet accepted has no agenda (it is not in the solver's instance)."""
        if self.participant(event_id, pid).get("status") == "invited":
            raise ConflictError(f"participant {pid!r} is invited and has not accepted yet: no agenda")

    def _member_registration(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A member registering itself is registered, its contact taken from its profile; anyone
        else (the organiser) only invites it, and learns no contact."""
        profile = self.index.get("members", doc["member_id"]) if self.index else None
        if profile is None:
            raise NotFoundError(f"no member {doc['member_id']!r}")
        for key in ("name", "org_type", "country", "sector"):
            doc[key] = doc.get(key) or profile.get(key)
        if self.guard.is_member(doc["member_id"]):
            doc["contact"] = doc.get("contact") or profile.get("contact")
            doc["status"] = "registered"
        else:
            doc["contact"] = None
            doc["status"] = "invited"
        return doc

    def _check_one_participation(self, event_id: str, doc: dict[str, Any], conn: Any) -> None:
        if not doc.get("member_id"):
            return
        for other in self.store.participants(event_id):
            if other.get("member_id") == doc["member_id"]:
                raise ConflictError(f"member {doc['member_id']!r} already takes part in event {event_id!r} "
                                    f"as participant {other['id']!r} ({other.get('status')})")

    def answer_invitation(self, event_id: str, pid: str, accept: bool) -> dict[str, Any]:
        """Only the invited member accepts (its contact then comes from its profile) or declines."""
        doc = self.participant(event_id, pid)
        self.guard.check_invitee(doc)
        if doc.get("status") != "invited":
            raise ConflictError(f"participant {pid!r} is {doc.get('status')}, not invited")
        profile = self.index.get("members", doc["member_id"]) if self.index else None
        with self.store.transaction() as conn:
            if accept:
                doc.update(status="registered", contact=(profile or {}).get("contact"))
            else:
                doc.update(status="cancelled", fixed_table=None)
            self.store.put_participant(event_id, doc, conn)
        return doc

    def contact_for(self, event_id: str, viewer_pid: str, other_pid: str) -> dict[str, Any] | None:
        """The other side's contact in `viewer_pid`'s agenda: for the viewer itself; for the
        organiser only when the other is standalone (the organiser entered it) or its member
        profile shows its contact to network members."""
        other = self.participant(event_id, other_pid)
        if self.guard.is_participant(self.participant(event_id, viewer_pid)):
            return other.get("contact")
        if not other.get("member_id"):
            return other.get("contact") if self.guard.manages_event(self.event(event_id)) else None
        profile = self.index.get("members", other["member_id"]) if self.index else None
        return other.get("contact") if profile is not None and can_see(profile, "contact", "members") else None

    # -- personal data ------------------------------------------------------------------------
    def member_data(self, member_id: str) -> list[dict[str, Any]]:
        """Every participation of a member, with its requests (data export)."""
        out = []
        for event in self.store.events():
            for p in self.store.participants(event["id"], include_cancelled=True):
                if p.get("member_id") == member_id:
                    out.append({"event": event["id"], "title": event["title"], "participant": p,
                                "requests": self.store.requests(event["id"], participant=p["id"])})
        return out

    def forget_member(self, member_id: str) -> int:
        """Cancel the member's participations and erase their personal details."""
        count = 0
        for entry in self.member_data(member_id):
            event_id, p = entry["event"], entry["participant"]
            with self.store.transaction() as conn:
                for req in self.store.requests(event_id, participant=p["id"], conn=conn):
                    if req["status"] in OPEN:
                        self.store.put_request(event_id, {**req, "status": "cancelled"}, conn)
                self.store.put_participant(event_id, {
                    "id": p["id"], "member_id": None, "name": "(deleted)", "status": "cancelled",
                    "fixed_table": None, "availability": p.get("availability"), "contact": None}, conn)
            count += 1
        return count


def reciprocal_conflict(waiting: dict[str, Any], frm: str, to: str) -> ConflictError:
    """An open request already links the pair: say which, so the client can accept it."""
    details = {"request_id": waiting["id"], "from": waiting["from"], "status": waiting["status"]}
    if waiting["from"] == to and waiting["status"] == "pending":
        return ConflictError(f"{to!r} already asked {frm!r} for a meeting: accept request {waiting['id']!r}", details)
    return ConflictError(f"a request between {frm!r} and {to!r} is already open ({waiting['id']!r})", details)
