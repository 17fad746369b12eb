"""CooperationRecords: open a record (by hand, from a match, from an accepted meeting request),
move it through the stages with history, notes, meeting links and agreements."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from service.access.policy import Guard, check_cooperation, cooperation_sides
from service.cooperation.store import CooperationStore
from service.cooperation.vocab import STAGES, AgreementType, Source, Stage, stage_rank
from service.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from service.index.base import ProfileIndex

# (seeker ref, partner ref, cooperation type) -> the match as the matcher sees it now, or None
Scorer = Callable[[dict[str, str], dict[str, str], str | None], dict[str, Any] | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def meeting_key(meeting: dict[str, Any]) -> str:
    """An event's meeting is its request; a meeting elsewhere is its date and title."""
    if meeting.get("event_id"):
        return f"{meeting['event_id']}/{meeting['request_id']}"
    return f"outside/{meeting.get('date')}/{meeting.get('title') or ''}"


def actor_of(guard: Guard) -> dict[str, Any]:
    p = guard.principal
    return {"role": p.role, "subject": p.subject, "key_id": p.key_id}


class CooperationRecords:
    def __init__(self, store: CooperationStore, index: ProfileIndex, guard: Guard, scorer: Scorer | None = None,
                 events: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        if guard is None:  # fail closed: every call names its caller
            raise ForbiddenError("cooperation records need a named caller")
        self.store = store
        self.index = index
        self.guard = guard
        self.scorer = scorer
        self.events = events
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------
    def get(self, record_id: str, action: str = "read") -> dict[str, Any]:
        record = self.store.record(record_id)
        if record is None:
            raise NotFoundError(f"no cooperation record {record_id!r}")
        check_cooperation(self.guard, record, action)
        return record

    def read(self, record_id: str) -> dict[str, Any]:
        record = self.get(record_id)
        return {**record, "history": self.store.history(record_id), "my_sides": cooperation_sides(self.guard, record)}

    def list(self, party: str | None = None, stage: str | None = None) -> list[dict[str, Any]]:
        """The records the caller may see, optionally of one party (profile id) or at one stage."""
        p = self.guard.principal
        scope = party if party is not None else (None if p.is_admin else p.subject)
        if scope is None and not p.is_admin:
            return []
        found = [r for r in self.store.records(scope) if cooperation_sides(self.guard, r)]
        return [r for r in found if stage is None or r["stage"] == stage]

    # -- creating ----------------------------------------------------------------------------
    def _party(self, ref: dict[str, str]) -> dict[str, Any]:
        doc = self.index.get(ref["kind"], ref["id"])
        if doc is None:
            raise NotFoundError(f"no {ref['kind'][:-1]} {ref['id']!r}")
        return {"kind": ref["kind"], "id": doc["id"], "name": doc.get("name"), "country": doc.get("country"),
                "clusters": list(doc.get("clusters") or []) if ref["kind"] == "members" else []}

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """A record opened by hand by one of the parties (or their cluster manager)."""
        parties = [self._party(ref) for ref in data["parties"]]
        return self._open(parties, data.get("stage") or Stage.IDENTIFICATION.value, data["source"],
                          data.get("cooperation_type"), None, data.get("note") or "", "created by hand")

    def follow(self, seeker: dict[str, str], partner: dict[str, str], cooperation_type: str | None = None,
               note: str = "") -> dict[str, Any]:
        """"Follow this partner" from a match result: the reasons and criterion contributions are
        kept as the matcher gives them now, on the caller's own seeker profile."""
        me = self._party(seeker)
        if not self.guard.owns_profile(seeker["kind"], me):
            raise self.guard._deny(f"follow partners on behalf of {seeker['kind'][:-1]} {seeker['id']!r}")
        other = self._party(partner)
        snapshot = self.scorer(seeker, partner, cooperation_type) if self.scorer else None
        if snapshot is None:
            raise ConflictError(f"{partner['id']!r} is not a match for {seeker['id']!r} (no criterion applies)")
        return self._open([me, other], Stage.IDENTIFICATION.value, Source.MATCHED.value, cooperation_type,
                          snapshot, note, "followed from a match")

    def _open(self, parties: list[dict[str, Any]], stage: str, source: str, cooperation_type: str | None,
              match: dict[str, Any] | None, note: str, why: str, check_sides: bool = True) -> dict[str, Any]:
        if parties[0]["id"] == parties[1]["id"]:
            raise InvalidRequestError("a cooperation needs two different parties", {"parties": ["same profile twice"]})
        now = iso(self.clock())
        record = {"id": f"co-{uuid.uuid4().hex[:12]}", "created_at": now, "updated_at": now, "parties": parties,
                  "stage": stage, "source": source, "cooperation_type": cooperation_type, "agreement_type": None,
                  "agreement_at": None, "match": match, "meetings": [], "signals": [],
                  "created_by": actor_of(self.guard), "forgotten": []}
        if check_sides and not cooperation_sides(self.guard, record):
            raise self.guard._deny("open a cooperation record for other parties")
        with self.store.transaction() as conn:
            existing_records = self.store.records_between(parties[0]["id"], parties[1]["id"], conn)
            if existing_records:
                existing = existing_records[0]
                raise ConflictError(f"a cooperation record between these parties exists already: {existing['id']}",
                                    {"record": existing["id"]})
            self.store.put_record(record, conn)
            self.store.add_history(record["id"], self._entry("created", why, to_stage=stage, note=note), conn)
        return record

    def _entry(self, action: str, reason: str = "", **extra: Any) -> dict[str, Any]:
        return {"at": iso(self.clock()), "by": actor_of(self.guard), "action": action, "reason": reason, **extra}

    # -- changing ----------------------------------------------------------------------------
    def move(self, record_id: str, stage: str, reason: str = "") -> dict[str, Any]:
        """Any stage, forward (skipping) or back; the history keeps who did it and why."""
        if stage not in STAGES:
            raise InvalidRequestError(f"unknown stage {stage!r}", {"stage": [f"one of {', '.join(STAGES)}"]})
        record = self.get(record_id, "move")
        return self._move(record, stage, reason)

    def _move(self, record: dict[str, Any], stage: str, reason: str, action: str = "stage") -> dict[str, Any]:
        if stage == record["stage"]:
            return record
        entry = self._entry(action, reason, from_stage=record["stage"], to_stage=stage)
        record.update(stage=stage, updated_at=entry["at"])
        with self.store.transaction() as conn:
            self.store.put_record(record, conn)
            self.store.add_history(record["id"], entry, conn)
        return record

    def advance_to(self, record: dict[str, Any], stage: str, reason: str) -> dict[str, Any]:
        """Move forward only: an answer never pulls a record back behind where people put it."""
        if stage_rank(stage) > stage_rank(record["stage"]):
            return self._move(record, stage, reason, action="stage_from_answer")
        return record

    def add_note(self, record_id: str, text: str) -> dict[str, Any]:
        self.get(record_id, "annotate")  # only who may see the record annotates it
        entry = self._entry("note", note=text)
        self.store.add_history(record_id, entry)
        return entry

    def set_agreement(self, record_id: str, agreement_type: str, note: str = "") -> dict[str, Any]:
        record = self.get(record_id, "record an agreement on")
        return self.agreement_reached(record, agreement_type, note)

    def agreement_reached(self, record: dict[str, Any], agreement_type: str, note: str = "") -> dict[str, Any]:
        if agreement_type not in {a.value for a in AgreementType}:
            raise InvalidRequestError(f"unknown agreement type {agreement_type!r}", {"agreement_type": ["unknown"]})
        entry = self._entry("agreement", note, agreement_type=agreement_type)
        record.update(agreement_type=agreement_type, agreement_at=record.get("agreement_at") or entry["at"],
                      updated_at=entry["at"])
        record["signals"].append({"kind": "agreement", "at": entry["at"]})
        with self.store.transaction() as conn:
            self.store.put_record(record, conn)
            self.store.add_history(record["id"], entry, conn)
        return self.advance_to(record, Stage.FIRST_AGREEMENT.value, f"{agreement_type} agreement signed")

    def link_meeting(self, record: dict[str, Any], meeting: dict[str, Any], signal: str | None) -> dict[str, Any]:
        known = {meeting_key(m) for m in record["meetings"]}
        if meeting_key(meeting) in known and not signal:
            return record
        entry = self._entry("meeting", signal or "", meeting=meeting)
        if meeting_key(meeting) not in known:
            record["meetings"].append(meeting)
        if signal:
            record["signals"].append({"kind": signal, "at": entry["at"], "meeting": meeting})
        record["updated_at"] = entry["at"]
        with self.store.transaction() as conn:
            self.store.put_record(record, conn)
            self.store.add_history(record["id"], entry, conn)
        return record
