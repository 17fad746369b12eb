"""Check a schedule against an instance: every numbered validity rule of AGENDA-FORMAT.md."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from service.agenda.model import Instance, Meeting, Schedule, pair_key


@dataclass(frozen=True)
class Violation:
    rule: int  # rule number in AGENDA-FORMAT.md section 4
    meeting: Meeting | None  # None for a confirmed base meeting that is missing
    message: str
    code: str = ""


def validate_schedule(instance: Instance, schedule: Schedule, base: Schedule | None = None,
                      cancelled: Iterable[str] | None = None) -> list[Violation]:
    """Return every violation; an empty list means the schedule is valid.

    With `base`, rule 11 is checked too; cancelled participants default to those of the
    base schedule that are no longer in the instance.
    """
    out: list[Violation] = []
    pmap = instance.participant_map()
    n_slots, n_tables = len(instance.slots), instance.num_tables
    weights = instance.pair_weights()
    owner = instance.fixed_tables()
    avail = {p.id: set(p.available_slots(n_slots)) for p in instance.participants}
    pairs: Counter[tuple[str, str]] = Counter()
    busy: dict[tuple[str, int], Meeting] = {}
    tables: dict[tuple[int, int], Meeting] = {}
    count: Counter[str] = Counter()

    def add(rule: int, m: Meeting | None, msg: str, code: str) -> None:
        out.append(Violation(rule, m, msg, code))

    for m in schedule.meetings:
        who = f"{m.a}-{m.b}@{m.slot}/{m.table}"
        known = True
        for pid in (m.a, m.b):
            if pid not in pmap:
                add(1, m, f"{who}: unknown or cancelled participant {pid!r}", "unknown_participant")
                known = False
        if m.a == m.b:
            add(1, m, f"{who}: a participant cannot meet itself", "self_meeting")
            known = False
        slot_ok = 0 <= m.slot < n_slots
        if not slot_ok:
            add(2, m, f"{who}: slot {m.slot} out of range 0..{n_slots - 1}", "bad_slot")
        if not 0 <= m.table < n_tables:
            add(2, m, f"{who}: table {m.table} out of range 0..{n_tables - 1}", "bad_table")
        if pair_key(m.a, m.b) not in weights:
            add(3, m, f"{who}: no non-declined request between them", "not_requested")
        pairs[pair_key(m.a, m.b)] += 1
        if pairs[pair_key(m.a, m.b)] == 2:
            add(4, m, f"{who}: pair meets more than once", "pair_repeated")
        for pid in (m.a, m.b):
            if pid in pmap and slot_ok and m.slot not in avail[pid]:
                add(5, m, f"{who}: {pid} not available in slot {m.slot}", "unavailable")
            if slot_ok:
                if (pid, m.slot) in busy and m.a != m.b:
                    add(6, m, f"{who}: {pid} double-booked in slot {m.slot}", "double_booked")
                busy[(pid, m.slot)] = m
            count[pid] += 1
        if (m.slot, m.table) in tables:
            add(7, m, f"{who}: table {m.table} already used in slot {m.slot}", "table_clash")
        tables[(m.slot, m.table)] = m
        if known:
            fixed = {pmap[m.a].fixed_table, pmap[m.b].fixed_table} - {None}
            if fixed and m.table not in fixed:
                add(8, m, f"{who}: must use fixed table {sorted(fixed)}", "fixed_table_ignored")
            if m.table in owner and owner[m.table] not in (m.a, m.b):
                add(9, m, f"{who}: table {m.table} is reserved for {owner[m.table]}",
                    "reserved_table")
    for pid, c in count.items():
        cap = pmap[pid].max_meetings if pid in pmap else None
        if cap is not None and c > cap:
            add(10, None, f"{pid}: {c} meetings > max_meetings {cap}", "over_limit")
    if base is not None:
        out.extend(check_stability(instance, schedule, base, cancelled))
    return out


def check_stability(instance: Instance, schedule: Schedule, base: Schedule,
                    cancelled: Iterable[str] | None = None) -> list[Violation]:
    """Rule 11: confirmed base meetings of remaining participants are unchanged."""
    present = instance.participant_map()
    gone = set(cancelled) if cancelled is not None else (
        {pid for m in base.meetings for pid in (m.a, m.b)} - set(present))
    now = {m.pair: m for m in schedule.meetings}
    out = []
    for m in base.meetings:
        if not m.confirmed or m.a in gone or m.b in gone:
            continue
        cur = now.get(m.pair)
        if cur is None:
            out.append(Violation(11, m, f"{m.a}-{m.b}: confirmed meeting dropped",
                                 "confirmed_dropped"))
        elif (cur.slot, cur.table) != (m.slot, m.table):
            out.append(Violation(11, cur, f"{m.a}-{m.b}: confirmed meeting moved from "
                                 f"{m.slot}/{m.table} to {cur.slot}/{cur.table}",
                                 "confirmed_moved"))
    return out
