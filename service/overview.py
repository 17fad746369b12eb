"""Overview: read models that pages show and the API has no single call for (a member's events,
an organiser's events, the event dashboard, the agenda board), built from EventService and
AgendaService under the same Guard."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from service.errors import ConflictError, InvalidRequestError, NotFoundError
from service.matching.filters import MatchRequest
from service.matching.phrases import localize
from service.vocab import org_type_name


class Overview:
    def __init__(self, events: Any, agendas: Any, matches: Callable[[], Any] | None = None) -> None:
        self.events = events
        self.agendas = agendas
        self.matches = matches  # a provider: the model loads only for pages that match
        self.store = events.store
        self.guard = events.guard

    # -- whose events -------------------------------------------------------------------------
    def managed_events(self) -> list[dict[str, Any]]:
        """The events the caller organises (all of them for an admin)."""
        return [e for e in self.store.events() if self.guard.manages_event(e)]

    def my_participations(self) -> list[dict[str, Any]]:
        """The caller's own registrations (a member), with their requests by status."""
        out = []
        for event in self.store.events():
            for p in self.store.participants(event["id"]):
                if self.guard.is_participant(p):
                    counts = Counter(r["status"] for r in self.store.requests(event["id"], participant=p["id"]))
                    out.append({"event": event, "participant": p, "requests": dict(counts)})
        return out

    def my_participant(self, event_id: str) -> dict[str, Any]:
        """The caller's participant at an event; NotFound when they are not registered."""
        self.events.event(event_id)
        for p in self.store.participants(event_id):
            if self.guard.is_participant(p):
                return p
        raise NotFoundError(f"you are not registered at event {event_id!r}")

    def my_requests(self, event_id: str) -> dict[str, Any]:
        """The caller's requests at an event, both ways, with the other side's public details."""
        me = self.my_participant(event_id)
        others = {p["id"]: p for p in self.store.participants(event_id, include_cancelled=True)}
        rows = []
        for r in self.events.requests(event_id, me["id"]):
            other = others.get(r["to"] if r["from"] == me["id"] else r["from"], {})
            rows.append({**r, "incoming": r["to"] == me["id"], "other": {
                k: other.get(k) for k in ("id", "name", "country", "sector", "org_type")}})
        return {"event": self.events.event(event_id), "me": me, "requests": rows}

    def my_agenda(self, event_id: str) -> dict[str, Any]:
        """The caller's agenda (None before the first one is solved) and who they are there."""
        me = self.my_participant(event_id)
        try:
            agenda = self.agendas.participant_agenda(event_id, me["id"])
        except NotFoundError:
            agenda = None
        return {"event": self.events.event(event_id), "me": me, "agenda": agenda}

    def suggestions(self, member_id: str, event_id: str | None = None, country: str | None = None,
                    cooperation_type: str | None = None, limit: int = 10) -> dict[str, Any]:
        """Whom a member should meet and why, optionally among an event's participants (then each
        suggestion carries the participant id a request goes to)."""
        service = self.matches()
        by_member: dict[str, str] = {}
        me = None
        if event_id:
            me = self.my_participant(event_id) if not self.guard.admin else None
            by_member = {p["member_id"]: p["id"] for p in self.store.participants(event_id) if p.get("member_id")}
        page = service.find(MatchRequest(
            target="members", seeker_kind="members", seeker_id=member_id,
            cooperation_type=cooperation_type or None, countries=frozenset({country} if country else ()),
            participants=frozenset(by_member) if event_id else None, limit=limit))
        items = [{"member_id": m.id, "participant": by_member.get(m.id), "name": m.name, "country": m.country,
                  "score": m.score, "sentence": m.sentence, "pairs": m.pairs, "gaps_filled": m.gaps_filled}
                 for m in page.items if not me or by_member.get(m.id) != me["id"]]
        return {"seeker": page.seeker, "items": items, "me": me}

    # -- organiser ----------------------------------------------------------------------------
    def dashboard(self, event_id: str) -> dict[str, Any]:
        """Requests over time by status, meetings per participant, who has zero or one meeting."""
        event = self.events.event(event_id)
        self.guard.check_event_manage(event)
        self.events.expire(event_id)
        participants = self.store.participants(event_id)
        requests = self.store.requests(event_id)
        by_day: dict[str, Counter[str]] = defaultdict(Counter)
        for r in requests:
            by_day[r["created_at"][:10]]["sent"] += 1
            if r.get("answered_at") and r["status"] in ("accepted", "declined"):
                by_day[r["answered_at"][:10]][r["status"]] += 1
        agenda = self.store.agenda(event_id)
        per_person: Counter[str] = Counter({p["id"]: 0 for p in participants})
        if agenda:
            for m in agenda["schedule"]["meetings"]:
                for pid in (m["a"], m["b"]):
                    if pid in per_person:
                        per_person[pid] += 1
        histogram = Counter(per_person.values())
        names = {p["id"]: p.get("name") or p["id"] for p in participants}
        return {
            "event": event,
            "participants": len(participants),
            "requests": dict(Counter(r["status"] for r in requests)),
            "over_time": [{"day": day, **counts} for day, counts in sorted(by_day.items())],
            "agenda": {k: agenda[k] for k in ("version", "state", "created_at") if k in agenda} if agenda else None,
            "histogram": [{"meetings": n, "participants": histogram[n]} for n in sorted(histogram)],
            "few_meetings": sorted(({"id": pid, "name": names[pid], "meetings": n}
                                    for pid, n in per_person.items() if n <= 1),
                                   key=lambda x: (x["meetings"], x["name"])),
        }

    def board(self, event_id: str, selected: tuple[str, str] | None = None) -> dict[str, Any]:
        """The latest agenda as a grid: one row per slot, one column per table. `selected` is
        the meeting (a, b) the organiser picked to move; it carries its slot and table."""
        schedule = self.agendas.schedule(event_id)  # checks the caller manages the event
        event = self.events.event(event_id)
        names = {p["id"]: p.get("name") or p["id"] for p in self.store.participants(event_id, include_cancelled=True)}
        labels = event.get("table_labels") or [str(t + 1) for t in range(event["num_tables"])]
        starts = {s["id"]: s["start"] for s in event["slots"]}
        wanted = frozenset(selected) if selected else None
        cells: dict[tuple[int, int], dict[str, Any]] = {}
        for m in schedule["schedule"]["meetings"]:
            cells[(m["slot"], m["table"])] = {
                "a": m["a"], "b": m["b"], "a_name": names.get(m["a"], m["a"]), "b_name": names.get(m["b"], m["b"]),
                "locked": m.get("confirmed", False), "start": starts.get(m["slot"]), "table": labels[m["table"]],
                "selected": wanted == frozenset((m["a"], m["b"]))}
        rows = [{"slot": s, "cells": [cells.get((s["id"], t)) for t in range(event["num_tables"])]}
                for s in event["slots"]]
        return {"event": event, "version": schedule["version"], "state": schedule["state"],
                "tables": event["num_tables"], "labels": labels, "rows": rows, "stats": schedule["stats"],
                "selected": next((c for c in cells.values() if c["selected"]), None), "conflicts": []}

    def move_on_board(self, event_id: str, a: str, b: str, start: str | None, table: str | None
                      ) -> dict[str, Any]:
        """Move a meeting (AgendaService.move: the same check and lock as the API). When it
        collides, the board to show again: the meeting still selected, with what collides."""
        try:
            return {"moved": self.agendas.move(event_id, a, b, start, table)["meeting"]}
        except (ConflictError, InvalidRequestError) as exc:
            found = (exc.errors or {}).get("conflicts") or [exc.message]
            return {"moved": None, "board": {**self.board(event_id, (a, b)), "conflicts": found,
                                             "asked": {"start": start, "table": table}}}

    def printable_agendas(self, event_id: str, language: str = "en") -> str:
        """Every participant's agenda, one per page, for the organiser to print."""
        from service.agenda import exports

        printable = self.agendas.printable(event_id)
        return exports.agendas_html(printable["event"], printable["agendas"], language)

    # -- cluster manager ----------------------------------------------------------------------
    def value_chain(self, cluster_id: str, limit: int = 20) -> dict[str, Any]:
        """Each link of the cluster's value chain (strong, weak or missing) with the foreign
        clusters and members that fill it and why. The matcher checks the caller owns the seeker."""
        service = self.matches()
        found = {target: service.find(MatchRequest(target=target, seeker_kind="clusters", seeker_id=cluster_id,
                                                   foreign_only=True, limit=limit))
                 for target in ("clusters", "members")}
        doc = service.index.get("clusters", cluster_id) or {}
        links = [dict(link) for link in doc.get("value_chain") or []]
        listed = {link["link"] for link in links}
        gaps = found["clusters"].seeker.get("gaps") or {}
        links += [{"link": key, "status": "missing", "strategic": False} for key in gaps if key not in listed]
        for link in links:
            link["fillers"] = [
                {"kind": target, "id": m.id, "name": m.name, "country": m.country, "score": m.score,
                 "sentence": m.sentence}
                for target, page in found.items() for m in page.items if link["link"] in m.gap_links]
            link["gap"] = link["link"] in gaps
        return {"cluster": {"id": cluster_id, "name": doc.get("name"), "country": doc.get("country"),
                            "sector": doc.get("sector")}, "links": links}

    def partner_search(self, cluster_id: str, target: str, country: str | None, cooperation_type: str | None,
                       limit: int = 25) -> Any:
        """Foreign clusters or members for the cluster, optionally in one country or for one
        cooperation type (a MatchPage)."""
        return self.matches().find(MatchRequest(
            target=target, seeker_kind="clusters", seeker_id=cluster_id, foreign_only=True,
            countries=frozenset({country} if country else ()), cooperation_type=cooperation_type, limit=limit))

    def consortia(self, cluster_id: str, max_size: int = 3) -> dict[str, Any]:
        """The consortium builder's proposals for the cluster. Kept like its matches while the
        data does not change; keyed by the caller too, so a proposal is only served again to
        whom the Guard let see it."""
        service = self.matches()
        req = MatchRequest(target="members", seeker_kind="clusters", seeker_id=cluster_id, foreign_only=True,
                           limit=30)
        memo = getattr(service.matcher, "memo", None)
        if memo is None:
            return service.consortia(req, max_size=max_size)
        return memo(("consortia", self.guard.principal, req, max_size), lambda: service.consortia(req, max_size))

    def printable_pdf(self, event_id: str, what: str, labels: dict[str, str], language: str = "en") -> bytes:
        """The participants' agendas or the table sheets as PDF (`what`: participants | tables)."""
        from service import agenda_pdf
        from service.agenda import exports
        from service.agenda.formats import load_schedule

        if what == "participants":
            printable = self.agendas.printable(event_id)
            say = exports.gettext_for(language)
            for agenda in printable["agendas"]:  # the PDF takes plain text, in the reader's language
                for row in agenda["meetings"]:
                    row["why"] = [localize(line, say, language) for line in row.get("why") or []]
                    row["with"] = {**row["with"], "org_type": localize(org_type_name(row["with"].get("org_type")), say)}
            return agenda_pdf.participants_pdf(printable["event"], printable["agendas"], labels)
        event = self.events.event(event_id)
        self.guard.check_event_manage(event)
        instance = self.events.instance(event_id)
        schedule = load_schedule(self.agendas.latest(event_id)["schedule"])
        names = {p.id: p.name or p.id for p in instance.participants}
        by_table: dict[int, list[Any]] = defaultdict(list)
        for m in sorted(schedule.meetings, key=lambda m: m.slot):
            by_table[m.table].append({"start": instance.slots[m.slot].start, "end": instance.slots[m.slot].end,
                                      "a": names.get(m.a, m.a), "b": names.get(m.b, m.b)})
        return agenda_pdf.tables_pdf(event, [{"table": instance.table_label(t), "rows": by_table[t]}
                                             for t in sorted(by_table)], labels)
