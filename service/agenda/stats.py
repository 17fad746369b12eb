"""Organiser statistics of an agenda: coverage, fairness, table use, idle gaps."""
from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from service.agenda.model import Instance, Schedule, pair_key


def idle_gaps(instance: Instance, schedule: Schedule) -> dict[str, int]:
    """Empty slots between each participant's first and last meeting of a day."""
    day = {s.id: s.day for s in instance.slots}
    per: dict[str, dict[int, list[int]]] = {}
    for m in schedule.meetings:
        for pid in (m.a, m.b):
            per.setdefault(pid, {}).setdefault(day.get(m.slot, -1), []).append(m.slot)
    out = {}
    for pid, days in per.items():
        out[pid] = sum(max(s) - min(s) + 1 - len(set(s)) for s in days.values())
    return out


def schedule_stats(instance: Instance, schedule: Schedule) -> dict[str, Any]:
    """Figures an organiser looks at before publishing an agenda."""
    weights = instance.pair_weights()
    pairs = {m.pair for m in schedule.meetings}
    per = Counter(pid for m in schedule.meetings for pid in (m.a, m.b))
    ids = [p.id for p in instance.participants]
    wanting = {pid for r in instance.requests if r.status != "declined" for pid in (r.frm, r.to)}
    zero = [pid for pid in ids if per[pid] == 0]
    live = [r for r in instance.requests if r.status != "declined"]
    satisfied = sum(1 for r in live if pair_key(r.frm, r.to) in pairs)
    gaps = idle_gaps(instance, schedule)
    met = [pid for pid in ids if per[pid] > 0]
    counts = sorted(per[pid] for pid in ids)
    capacity = instance.num_tables * len(instance.slots)
    return {
        "meetings": len(schedule.meetings),
        "weight": sum(weights.get(p, 0) for p in pairs),
        "requests_non_declined": len(live),
        "requests_satisfied": satisfied,
        "requests_satisfied_share": round(satisfied / len(live), 4) if live else 1.0,
        "participants": len(ids),
        "zero_meetings": len(zero),
        "zero_meetings_with_requests": sum(1 for pid in zero if pid in wanting),
        "table_utilisation": round(len(schedule.meetings) / capacity, 4) if capacity else 0.0,
        "idle_gaps": sum(gaps.values()),
        "idle_gaps_mean": round(sum(gaps.values()) / len(met), 3) if met else 0.0,
        "meetings_min": counts[0] if counts else 0,
        "meetings_median": statistics.median(counts) if counts else 0,
        "meetings_max": counts[-1] if counts else 0,
    }
