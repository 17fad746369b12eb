"""AgendaService: solve an event's agenda (preliminary, then final), keep every version, absorb
late changes without moving confirmed meetings, and export agendas."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from service.agenda import exports
from service.agenda.editing import EventEditing
from service.agenda.formats import dump_schedule, load_schedule
from service.agenda.model import Instance, Schedule, pair_key
from service.agenda.operations import OnSiteOperations
from service.agenda.reasons import Reasons, meeting_reasons
from service.agenda.solver import solve
from service.agenda.stats import schedule_stats
from service.agenda.validate import validate_schedule
from service.agenda.view import AgendaView, build_view
from service.errors import ConflictError, NotFoundError
from service.events.service import EventService
from service.events.tables import table_labels
from service.queue import JobQueue, report_progress

if TYPE_CHECKING:
    from service.matching.service import MatchService

SOLVE_JOB = "service.jobs.solve_agenda"


def solver_figures(schedule: Schedule) -> dict[str, Any]:
    """Who is left out and what covering the others cost, next to the solver's proven bound."""
    meta = schedule.meta
    return {"left_out": len(meta.get("left_out", [])), "left_out_ids": meta.get("left_out", [])[:100],
            "score": meta.get("score"), "bound": meta.get("bound"), "coverage_cost": meta.get("coverage_cost")}


def confirm(schedule: Schedule, instance: Instance, state: str, base: Schedule | None) -> Schedule:
    """A final agenda confirms only accepted meetings; pending ones stay provisional (they
    may move or drop when requests are answered later). Meetings locked before stay so."""
    accepted = {pair_key(r.frm, r.to) for r in instance.requests if r.status == "accepted"}
    locked = {m.pair for m in (base.meetings if base else []) if m.confirmed}
    return Schedule(schedule.instance, [
        replace(m, confirmed=m.pair in locked or (state == "final" and m.pair in accepted))
        for m in schedule.meetings], schedule.meta)


# The organiser's print of every agenda explains each meeting up to this many participants with
# meetings (one match each, ~0.05-0.2 s); beyond, each participant's own agenda still does.
PRINTED_REASONS_MAX = 150


class AgendaService(OnSiteOperations, EventEditing):
    def __init__(self, events: EventService, queue: Callable[[], JobQueue] | None = None,
                 matches: Callable[[], MatchService] | None = None) -> None:
        self.events = events
        self.store = events.store
        self.queue = queue
        self.matches = matches  # a provider: the model is only needed when reasons are exported

    @property
    def guard(self) -> Any:
        return self.events.guard

    def _manage(self, event_id: str) -> None:
        self.guard.check_event_manage(self.events.event(event_id))

    def _as_participant(self, event_id: str, pid: str) -> None:
        self.guard.check_participant(self.events.event(event_id), self.events.participant(event_id, pid),
                                     "read the agenda")
        self.events.require_not_invited(event_id, pid)

    def start(self, event_id: str, state: str, time_limit_s: float, key_id: str | None = None) -> str:
        self._manage(event_id)
        if self.queue is None:
            raise ConflictError("agendas are solved by the job queue, which is not configured")
        return self.queue().enqueue(SOLVE_JOB, event_id, state, time_limit_s,
                                    description=f"{state} agenda for {event_id}", retries=1,
                                    meta={"key_id": key_id})

    def generate(self, event_id: str, state: str = "preliminary", time_limit_s: float = 100.0,
                 progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
        """A new agenda version. Meetings of the previous version that are confirmed (all of a
        final agenda, locked ones of a preliminary one) keep their slot and table."""
        self._manage(event_id)
        previous = self.store.agenda(event_id)
        # cancellations shown so far stay visible unless the pair meets again
        carried = self._current(event_id).cancelled if previous else []
        instance = self.events.instance(event_id)
        base = load_schedule(previous["schedule"]) if previous else None
        report = progress or (lambda fraction, message: report_progress(int(fraction * 100), 100, message))
        schedule = solve(instance, base=base, time_limit_s=time_limit_s, progress=report)
        violations = validate_schedule(instance, schedule, base=base)
        dropped = [dict(m) for m in schedule.meta.get("confirmed_unplaceable", [])]
        hard = [v for v in violations if v.rule != 11 or v.code != "confirmed_dropped"]
        if hard:  # never publish an invalid agenda: the job fails visibly instead
            raise RuntimeError(f"solver produced an invalid agenda: {hard[0].message}")
        schedule = confirm(schedule, instance, state, base)
        ics = exports.update_sequences(event_id, schedule, (previous or {}).get("ics"))
        stats = {**schedule_stats(instance, schedule), **solver_figures(schedule)}
        pairs = {m.pair for m in schedule.meetings}
        doc = {"schedule": dump_schedule(schedule), "stats": stats, "ics": ics,
               "dropped_confirmed": dropped,
               "cancelled": [c for c in carried if pair_key(c["a"], c["b"]) not in pairs]}
        version = self.store.add_agenda(event_id, state, doc, datetime.now(UTC).isoformat(timespec="seconds"))
        event = self.events.event(event_id)
        self.store.put_event({**event, "state": state})
        return {"event": event_id, "version": version, "state": state, "stats": stats}

    def lock(self, event_id: str, pairs: list[list[str]]) -> dict[str, Any]:
        """Confirm chosen meetings of the latest agenda: later runs never move them."""
        self._manage(event_id)
        agenda = self.latest(event_id)
        schedule = load_schedule(agenda["schedule"])
        wanted = {pair_key(a, b) for a, b in pairs}
        found = {m.pair for m in schedule.meetings} & wanted
        if missing := wanted - found:
            raise NotFoundError(f"not in the agenda: {sorted(missing)}")
        schedule = Schedule(schedule.instance, [
            replace(m, confirmed=m.confirmed or m.pair in wanted) for m in schedule.meetings], schedule.meta)
        doc = {**agenda, "schedule": dump_schedule(schedule)}
        version = self.store.add_agenda(event_id, agenda["state"], doc, datetime.now(UTC).isoformat(timespec="seconds"))
        return {"event": event_id, "version": version, "locked": len(found)}

    def schedule(self, event_id: str) -> dict[str, Any]:
        """The organiser's view of the latest agenda."""
        self._manage(event_id)
        agenda = self.latest(event_id)
        labels = table_labels(self.events.event(event_id))
        return {**{k: agenda.get(k) for k in ("version", "state", "schedule", "stats", "dropped_confirmed")},
                "cancelled": agenda.get("cancelled", []), "table_labels": labels}

    def latest(self, event_id: str, version: int | None = None) -> dict[str, Any]:
        self.events.event(event_id)
        agenda = self.store.agenda(event_id, version)
        if agenda is None:
            raise NotFoundError(f"event {event_id!r} has no agenda yet")
        return agenda

    def _current(self, event_id: str) -> AgendaView:
        agenda = self.latest(event_id)
        gone = [p for p in self.store.participants(event_id, include_cancelled=True)
                if p.get("status") == "cancelled"]
        return build_view(event_id, self.events.instance(event_id),
                          load_schedule(agenda["schedule"]), agenda, gone)

    def participant_agenda(self, event_id: str, pid: str, reasons: bool = False) -> dict[str, Any]:
        """A participant's meetings; the other side's contact only when they accepted a request;
        with `reasons`, why the matcher pairs them."""
        self._as_participant(event_id, pid)
        view_ = self._current(event_id)
        agenda = self.latest(event_id)
        view = exports.participant_agenda(view_.instance, view_.schedule, pid, view_.cancelled)
        if reasons:
            why = self._reasons(event_id, pid, [row["with"]["id"] for row in view["meetings"]])
            for row in view["meetings"]:
                row["why"] = why.get(pair_key(pid, row["with"]["id"]), [])
        self._add_contacts(event_id, pid, view["meetings"], self._accepted(event_id, pid))
        return {**view, "version": agenda["version"], "state": agenda["state"]}

    def _accepted(self, event_id: str, pid: str | None = None) -> set[tuple[str, str]]:
        return {pair_key(r["from"], r["to"]) for r in self.store.requests(event_id, participant=pid)
                if r["status"] == "accepted"}

    def _add_contacts(self, event_id: str, pid: str, rows: list[dict[str, Any]],
                      accepted: set[tuple[str, str]]) -> None:
        """The other side's contact on each meeting of `pid` they accepted (as contact_for allows)."""
        for row in rows:
            other = row["with"]["id"]
            if other and pair_key(pid, other) in accepted and row["status"] != "cancelled":
                row["with"]["contact"] = self.events.contact_for(event_id, pid, other)

    def participant_ics(self, event_id: str, pid: str) -> bytes:
        self._as_participant(event_id, pid)
        view = self._current(event_id)
        event = self.events.event(event_id)
        notes: dict[tuple[str, str], list[str]] = {}
        for r in self.store.requests(event_id, participant=pid):
            if r.get("note") and r["status"] in ("accepted", "pending"):
                notes.setdefault(pair_key(r["from"], r["to"]), []).append(r["note"])
        partners = [e["b"] if e["a"] == pid else e["a"] for e in view.ics.values() if pid in (e["a"], e["b"])]
        return exports.participant_ics(view.instance, pid, view.ics, tz=event.get("timezone"),
                                       notes=notes, why=self._reasons(event_id, pid, partners),
                                       language=self._language(event_id, pid))

    def _language(self, event_id: str, pid: str) -> str:
        """A participant's calendar reads in their member profile's language (English otherwise)."""
        member_id = self.events.participant(event_id, pid).get("member_id")
        profile = self.events.index.get("members", member_id) if member_id and self.events.index else None
        return (profile or {}).get("language") or "en"

    def participant_html(self, event_id: str, pid: str, language: str = "en") -> str:
        self._as_participant(event_id, pid)
        return exports.agendas_html(self.events.event(event_id), [self.participant_agenda(event_id, pid, True)],
                                    language)

    def printable(self, event_id: str) -> dict[str, Any]:
        """Every participant's agenda for the organiser to print or hand out: meetings and their
        tables, the other side's contact where they accepted a request (and may be shown to the
        organiser), and why the matcher pairs them (one match per participant: above
        PRINTED_REASONS_MAX participants with meetings they are left to each participant's own
        agenda, or printing would take minutes; `reasons` says which)."""
        self._manage(event_id)
        view = self._current(event_id)
        accepted = self._accepted(event_id)
        meeting = {pid for m in view.schedule.meetings for pid in (m.a, m.b)}
        reasons = len(meeting) <= PRINTED_REASONS_MAX
        agendas = []
        for p in view.instance.participants:
            agenda = exports.participant_agenda(view.instance, view.schedule, p.id, view.cancelled)
            partners = [row["with"]["id"] for row in agenda["meetings"]]
            why = self._reasons(event_id, p.id, partners) if reasons else {}
            for row in agenda["meetings"] if reasons else []:
                row["why"] = why.get(pair_key(p.id, row["with"]["id"]), [])
            self._add_contacts(event_id, p.id, agenda["meetings"], accepted)
            agendas.append(agenda)
        return {"event": self.events.event(event_id), "agendas": agendas, "reasons": reasons}

    def _reasons(self, event_id: str, pid: str, partners: list[str]) -> Reasons:
        """The matcher's reasons per pair; none without a matcher (a bare AgendaService)."""
        if self.matches is None or not partners:
            return {}
        return meeting_reasons(self.events, self.matches, event_id, pid, partners)

    def table_html(self, event_id: str, table: int | None = None, language: str = "en") -> str:
        self._manage(event_id)
        view = self._current(event_id)
        return exports.table_html(view.instance, view.schedule, None if table is None else [table], language,
                                  self.events.event(event_id))

    def organiser_csv(self, event_id: str) -> str:
        self._manage(event_id)
        view = self._current(event_id)
        return exports.organiser_csv(view.instance, view.schedule, view.cancelled)

    def stats(self, event_id: str) -> dict[str, Any]:
        self._manage(event_id)
        agenda = self.latest(event_id)
        return {"version": agenda["version"], "state": agenda["state"], **agenda["stats"]}
