"""MeetingOutcomes: what happened after a meeting (each side: held or no-show, a 1-5 rating,
follow-up intended, a private comment), the follow-up questions at configured delays, and the
accepted or declined meeting requests of events, all moving the cooperation records."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from service.access.policy import cooperation_sides
from service.cooperation.records import CooperationRecords, actor_of, iso, meeting_key
from service.cooperation.vocab import Source, Stage
from service.errors import BackendUnavailableError, ConflictError, InvalidRequestError, NotFoundError

# (follow-up id, delay) -> RQ job id
Schedule = Callable[[str, timedelta], str]


class MeetingOutcomes:
    def __init__(self, records: CooperationRecords, delays: list[timedelta], schedule: Schedule | None = None) -> None:
        self.records = records
        self.store = records.store
        self.guard = records.guard
        self.delays = delays
        self.schedule = schedule

    # -- meeting requests of events -------------------------------------------------------------
    def request_answered(self, event_id: str, req: dict[str, Any]) -> dict[str, Any] | None:
        """Called by the events service once the caller answered a request there: an accepted
        request opens (or joins) the record of the two member profiles; a declined one is kept as
        a poor-partner example for learning. Standalone participants have no record."""
        events = self.records.events
        frm, to = (events.participant(event_id, req[k]) for k in ("from", "to"))
        if not (frm.get("member_id") and to.get("member_id")):
            return None
        if any(self.records.index.get("members", p["member_id"]) is None for p in (frm, to)):
            return None  # a profile deleted since registering: the answer stands, no record
        seeker, partner = ({"kind": "members", "id": p["member_id"]} for p in (frm, to))
        meeting = {"event_id": event_id, "request_id": req["id"], "at": req.get("answered_at")}
        existing = self.store.records_between(seeker["id"], partner["id"])
        if req["status"] == "declined":
            if existing:
                return self.records.link_meeting(existing[0], meeting, "declined")
            snapshot = self.records.scorer(seeker, partner, None) if self.records.scorer else None
            if snapshot is not None:
                self.store.put_example({
                    "id": f"ex-{uuid.uuid4().hex[:12]}", "search_type": snapshot["search_type"], "seeker": seeker["id"],
                    "partner": partner["id"], "at": iso(self.records.clock()), "signals": [{"kind": "declined"}],
                    "match": snapshot, "meeting": meeting})
            return None
        if req["status"] != "accepted":
            return None
        if existing:
            record = existing[0]
        else:
            snapshot = self.records.scorer(seeker, partner, None) if self.records.scorer else None
            parties = [self.records._party(seeker), self.records._party(partner)]
            # The caller was authorised by the event (they answered the request there).
            record = self.records._open(parties, Stage.CONTACT.value, Source.ENCOUNTERED.value, None, snapshot, "",
                                        f"meeting request accepted at event {event_id}", check_sides=False)
        record = self.records.link_meeting(record, meeting, "accepted")
        return self.records.advance_to(record, Stage.CONTACT.value, "meeting request accepted")

    def from_request(self, event_id: str, request_id: str) -> dict[str, Any]:
        """Open or join the record of a request accepted before (by one of its participants)."""
        events = self.records.events
        req = events.store.request(event_id, request_id)
        if req is None:
            raise NotFoundError(f"no request {request_id!r} at event {event_id!r}")
        event = events.event(event_id)
        sides = [events.participant(event_id, req[k]) for k in ("from", "to")]
        if not any(events.guard.manages_event(event) or events.guard.is_participant(p) for p in sides):
            raise self.guard._deny(f"open a record from request {request_id!r}")
        if req["status"] != "accepted":
            raise ConflictError(f"request {request_id!r} is {req['status']}, not accepted")
        record = self.request_answered(event_id, req)
        if record is None:
            raise InvalidRequestError("both participants need a member profile for a cooperation record",
                                      {"request_id": ["standalone participant"]})
        return record

    # -- outcomes -------------------------------------------------------------------------------
    def _side(self, record: dict[str, Any], party: str | None) -> int:
        sides = cooperation_sides(self.guard, record)
        if party is not None:
            chosen = [i for i in sides if record["parties"][i]["id"] == party]
            if not chosen:
                raise self.guard._deny(f"answer for party {party!r} of record {record['id']!r}")
            return chosen[0]
        if len(sides) != 1:
            raise InvalidRequestError("you act for both parties: say for which one", {"party": ["required"]})
        return sides[0]

    def record_outcome(self, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
        record = self.records.get(record_id, "record outcomes on")
        side = self._side(record, data.get("party"))
        meeting = data["meeting"]
        if meeting.get("event_id") and not any(
                m.get("event_id") == meeting["event_id"] and m.get("request_id") == meeting.get("request_id")
                for m in record["meetings"]):
            raise NotFoundError(f"meeting {meeting_key(meeting)!r} is not linked to record {record_id!r}")
        now = iso(self.records.clock())
        outcome = {"record_id": record_id, "meeting_key": meeting_key(meeting), "meeting": meeting, "side": str(side),
                   "party": record["parties"][side]["id"], "held": data["held"], "rating": data.get("rating"),
                   "follow_up": data.get("follow_up"), "comment": data.get("comment") or "", "at": now,
                   "by": actor_of(self.guard)}
        if not data["held"] and (data.get("rating") is not None):
            raise InvalidRequestError("a meeting that did not take place has no rating", {"rating": ["no-show"]})
        if not meeting.get("event_id"):
            self.records.link_meeting(record, meeting, None)
        self.store.put_outcome(outcome)
        self.store.add_history(record_id, self.records._entry(
            "outcome", "", side=side, meeting=outcome["meeting_key"], held=outcome["held"]))
        if outcome["held"]:
            self.records.advance_to(record, Stage.B2B_MEETINGS.value, "meeting held")
            self._schedule_follow_ups(record, side, outcome["meeting_key"])
        return outcome

    def outcomes(self, record_id: str) -> list[dict[str, Any]]:
        """Each side sees its own outcomes whole; of the other side's, only whether it was held."""
        record = self.records.get(record_id, "read outcomes of")
        mine = {str(i) for i in cooperation_sides(self.guard, record)}
        public = ("record_id", "meeting_key", "side", "party", "held", "at")
        return [o if o["side"] in mine else {k: o[k] for k in public} for o in self.store.outcomes(record_id)]

    # -- follow-up questions --------------------------------------------------------------------
    def _schedule_follow_ups(self, record: dict[str, Any], side: int, key: str) -> None:
        known = {(f["side"], f["meeting_key"], f["delay_s"]) for f in self.store.follow_ups(record["id"])}
        now = self.records.clock()
        for delay in self.delays:
            if (str(side), key, delay.total_seconds()) in known:
                continue
            fid = f"fu-{uuid.uuid4().hex[:12]}"
            doc = {"id": fid, "record_id": record["id"], "side": str(side), "party": record["parties"][side]["id"],
                   "meeting_key": key, "delay_s": delay.total_seconds(), "due_at": iso(now + delay),
                   "status": "scheduled", "question": "Was an agreement signed, and of which type?",
                   "job_id": None, "asked_at": None, "answered_at": None, "answer": None}
            self.store.put_follow_up(doc)
            if self.schedule is not None:
                try:
                    doc["job_id"] = self.schedule(fid, delay)
                except BackendUnavailableError as exc:  # the due sweep (CLI or job) asks it later
                    doc["scheduling_error"] = exc.message
                self.store.put_follow_up(doc)

    def ask(self, fid: str) -> dict[str, Any]:
        """The question becomes open for its side (pages and e-mails show it); idempotent."""
        doc = self.store.follow_up(fid)
        if doc is None:
            raise NotFoundError(f"no follow-up question {fid!r}")
        if doc["status"] != "scheduled":  # answered early, or cancelled when its party was deleted
            return doc
        doc = self._follow_up(fid, "ask")
        if doc["status"] == "scheduled":
            doc.update(status="asked", asked_at=iso(self.records.clock()))
            self.store.put_follow_up(doc)
        return doc

    def ask_due(self) -> list[str]:
        """Ask every scheduled question that is due (when the queue lost or never had its job)."""
        now = iso(self.records.clock())
        return [self.ask(f["id"])["id"] for f in self.store.follow_ups(status="scheduled") if f["due_at"] <= now]

    def _follow_up(self, fid: str, action: str) -> dict[str, Any]:
        doc = self.store.follow_up(fid)
        if doc is None:
            raise NotFoundError(f"no follow-up question {fid!r}")
        record = self.records.get(doc["record_id"], f"{action} follow-ups of")
        if int(doc["side"]) not in cooperation_sides(self.guard, record):
            raise self.guard._deny(f"{action} the other party's follow-up {fid!r}")
        return doc

    def follow_ups(self, record_id: str) -> list[dict[str, Any]]:
        record = self.records.get(record_id, "read follow-ups of")
        mine = {str(i) for i in cooperation_sides(self.guard, record)}
        return [f for f in self.store.follow_ups(record_id) if f["side"] in mine]

    def open_questions(self) -> list[dict[str, Any]]:
        """The follow-up questions asked of the caller and not yet answered."""
        out = []
        for record in self.records.list():
            mine = {str(i) for i in cooperation_sides(self.guard, record)}
            out += [f for f in self.store.follow_ups(record["id"], status="asked") if f["side"] in mine]
        return out

    def answer(self, fid: str, data: dict[str, Any]) -> dict[str, Any]:
        doc = self._follow_up(fid, "answer")
        if doc["status"] == "answered":
            raise ConflictError(f"follow-up {fid!r} was answered already")
        if data["agreement_signed"] and not data.get("agreement_type"):
            raise InvalidRequestError("say which type of agreement was signed", {"agreement_type": ["required"]})
        doc.update(status="answered", answered_at=iso(self.records.clock()),
                   answer={k: data.get(k) for k in ("agreement_signed", "agreement_type", "note")})
        self.store.put_follow_up(doc)
        record = self.records.get(doc["record_id"])
        if data["agreement_signed"]:
            self.records.agreement_reached(record, data["agreement_type"], "from a follow-up answer")
        else:
            self.store.add_history(record["id"], self.records._entry("follow_up", "no agreement yet", side=doc["side"]))
        return doc


