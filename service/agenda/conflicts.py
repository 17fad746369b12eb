"""Why a meeting cannot go to a given slot and table: every collision, in words an organiser
reads (who already meets whom there, which table is taken or reserved, who is away)."""
from __future__ import annotations

from service.agenda.model import Instance, Meeting, Schedule
from service.matching.phrases import N_, Phrase


def conflicts(instance: Instance, schedule: Schedule, a: str, b: str, slot: int, table: int
              ) -> list[Phrase]:
    """Empty when a-b may meet at (slot, table) next to the other meetings of `schedule`."""
    pmap = instance.participant_map()
    if not 0 <= slot < len(instance.slots):
        return [Phrase(N_("there is no slot %(slot)s"), slot=slot)]
    if not 0 <= table < instance.num_tables:
        return [Phrase(N_("there is no table %(table)s"), table=table)]
    when = instance.slots[slot].start.replace("T", " ")
    label = instance.table_label(table)
    out = []
    others = [m for m in schedule.meetings if m.pair != Meeting(a, b, 0, 0).pair]

    def name(pid: str) -> str:
        return pmap[pid].name or pid if pid in pmap else pid

    for pid in (a, b):
        if pid not in pmap:
            out.append(Phrase(N_("%(who)s is not a participant (cancelled?)"), who=pid))
            continue
        if slot not in pmap[pid].available_slots(len(instance.slots)):
            out.append(Phrase(N_("%(who)s is not available at %(when)s"), who=name(pid), when=when))
        for m in others:
            if m.slot == slot and pid in (m.a, m.b):
                other = m.b if m.a == pid else m.a
                out.append(Phrase(N_("%(who)s already meets %(other)s at %(when)s (table %(table)s)"),
                                  who=name(pid), other=name(other), when=when, table=instance.table_label(m.table)))
    for m in others:
        if m.slot == slot and m.table == table:
            out.append(Phrase(N_("table %(table)s is taken at %(when)s by %(a)s and %(b)s"), table=label, when=when,
                              a=name(m.a), b=name(m.b)))
    owner = {p.fixed_table: p.id for p in instance.participants if p.fixed_table is not None}
    own = [pmap[pid].fixed_table for pid in (a, b) if pid in pmap and pmap[pid].fixed_table is not None]
    if own and table not in own:
        out.append(Phrase(N_("%(who)s meets at their own table %(tables)s"),
                          who=name(a if pmap.get(a) and pmap[a].fixed_table is not None else b),
                          tables=", ".join(instance.table_label(t) for t in own)))
    elif table in owner and owner[table] not in (a, b):
        out.append(Phrase(N_("table %(table)s is reserved for %(who)s"), table=label, who=name(owner[table])))
    return out


def first_free(instance: Instance, schedule: Schedule, a: str, b: str) -> tuple[int, int] | None:
    """The earliest (slot, table) where a-b can meet without moving anyone."""
    pmap = instance.participant_map()
    if a not in pmap or b not in pmap:
        return None
    own = [pmap[p].fixed_table for p in (a, b) if pmap[p].fixed_table is not None]
    reserved = {p.fixed_table for p in instance.participants if p.fixed_table is not None}
    tables = own or [t for t in range(instance.num_tables) if t not in reserved]
    n = len(instance.slots)
    free = set(pmap[a].available_slots(n)) & set(pmap[b].available_slots(n))
    used: set[tuple[int, int]] = set()
    for m in schedule.meetings:
        if m.pair == Meeting(a, b, 0, 0).pair:
            continue
        used.add((m.slot, m.table))
        if {a, b} & {m.a, m.b}:
            free.discard(m.slot)
    for slot in sorted(free):
        table = next((t for t in tables if (slot, t) not in used), None)
        if table is not None:
            return slot, table
    return None
