"""What the exports show between two solves: the stored agenda minus the meetings that late
changes (a participant's cancellation, an organiser's cancellation or no-show) took away,
which are shown as cancelled with their reason instead of as ghosts."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from service.agenda import exports
from service.agenda.model import Instance, Participant, Schedule


@dataclass
class AgendaView:
    instance: Instance  # every participant, cancelled ones included (names stay readable)
    schedule: Schedule  # the meetings that still take place
    cancelled: list[dict[str, Any]]  # {"a", "b", "slot", "table", "reason"}
    ics: dict[str, dict[str, Any]]  # calendar state with those cancellations applied


def build_view(event_id: str, instance: Instance, schedule: Schedule, agenda: dict[str, Any],
               gone: list[dict[str, Any]]) -> AgendaView:
    """`gone` are the stored documents of cancelled participants."""
    known = {p.id for p in instance.participants}
    extra = [Participant(id=p["id"], name=p.get("name") or p["id"], org_type=p.get("org_type"),
                         country=p.get("country"), sector=p.get("sector"))
             for p in gone if p["id"] not in known]
    display = dataclasses.replace(instance, participants=[*instance.participants, *extra])
    names = {p["id"]: p.get("name") or p["id"] for p in gone}
    cancelled = [dict(c) for c in agenda.get("cancelled", [])]
    requested = instance.pair_weights()
    live = []
    for m in schedule.meetings:
        who = next((pid for pid in (m.a, m.b) if pid in names), None)
        if who is not None:
            reason = f"{names[who]} cancelled their participation"
        elif m.pair not in requested and not m.confirmed:
            reason = "the request was declined or expired"  # a provisional meeting drops
        else:
            live.append(m)
            continue
        cancelled.append({"a": m.a, "b": m.b, "slot": m.slot, "table": m.table, "reason": reason})
    ics = exports.cancel_entries(event_id, agenda.get("ics") or {}, cancelled)
    return AgendaView(display, Schedule(schedule.instance, live, schedule.meta), cancelled, ics)
