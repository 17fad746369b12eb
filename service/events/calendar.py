"""An event's meeting slots from its days, sessions, breaks and slot length."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any


def _t(text: str) -> time:
    return time.fromisoformat(text)


def build_slots(days: list[str], sessions: list[dict[str, str]], slot_minutes: int,
                breaks: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Slots in time order, as in the interchange format ({"id", "day", "start", "end"});
    a slot never overlaps a break, and breaks between sessions are simply not slots."""
    length = timedelta(minutes=slot_minutes)
    slots: list[dict[str, Any]] = []
    for day_index, day in enumerate(days):
        d = date.fromisoformat(day)
        pauses = [(datetime.combine(d, _t(b["start"])), datetime.combine(d, _t(b["end"]))) for b in breaks or []]
        for session in sorted(sessions, key=lambda s: s["start"]):
            t = datetime.combine(d, _t(session["start"]))
            end = datetime.combine(d, _t(session["end"]))
            while t + length <= end:
                clash = next((p for p in pauses if t < p[1] and p[0] < t + length), None)
                if clash:
                    t = clash[1]
                    continue
                slots.append({"id": len(slots), "day": day_index, "start": t.isoformat(timespec="minutes"),
                              "end": (t + length).isoformat(timespec="minutes")})
                t += length
    return slots


def windows_to_intervals(slots: list[dict[str, Any]], windows: list[dict[str, str]]) -> list[list[int]]:
    """Availability given as time windows → half-open slot-index intervals."""
    inside = [
        s["id"] for s in slots
        if any(w["start"] <= s["start"] and s["end"] <= w["end"] for w in windows)
    ]
    intervals: list[list[int]] = []
    for sid in inside:
        if intervals and intervals[-1][1] == sid:
            intervals[-1][1] = sid + 1
        else:
            intervals.append([sid, sid + 1])
    return intervals
