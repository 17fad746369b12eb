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


def calendar_errors(days: list[str], sessions: list[dict[str, str]],
                    breaks: list[dict[str, str]] | None = None) -> dict[str, list[str]]:
    """What is wrong with an event's calendar, by field; empty when it is fine.

    Days go strictly forward, sessions do not overlap, and every break lies within a session.
    """
    errors: dict[str, list[str]] = {}
    for i in range(1, len(days)):
        if str(days[i]) <= str(days[i - 1]):
            errors.setdefault("days", []).append(
                f"days[{i}]: {days[i]} is not after {days[i - 1]} (days must be in order, each once)")
    ordered = sorted(enumerate(sessions), key=lambda kv: kv[1]["start"])
    for (i, a), (j, b) in zip(ordered, ordered[1:], strict=False):
        if b["start"] < a["end"]:
            errors.setdefault("sessions", []).append(
                f"sessions[{j}] ({b['start']}-{b['end']}) overlaps sessions[{i}] ({a['start']}-{a['end']})")
    for k, pause in enumerate(breaks or []):
        if not any(s["start"] <= pause["start"] and pause["end"] <= s["end"] for s in sessions):
            errors.setdefault("breaks", []).append(
                f"breaks[{k}] ({pause['start']}-{pause['end']}) is not within any session")
    return errors


def intervals_to_windows(slots: list[dict[str, Any]], intervals: list[list[int]] | None
                         ) -> list[dict[str, str]] | None:
    """Slot-index availability → time windows ({"start", "end"}), contiguous slots merged."""
    if intervals is None:
        return None
    windows: list[dict[str, str]] = []
    for start, end in intervals:
        for s in slots[max(0, start):min(end, len(slots))]:
            if windows and windows[-1]["end"] == s["start"]:
                windows[-1]["end"] = s["end"]
            else:
                windows.append({"start": s["start"], "end": s["end"]})
    return windows


def with_times(event: dict[str, Any], participant: dict[str, Any]) -> dict[str, Any]:
    """A participant as people read it: availability as time windows next to slot numbers."""
    windows = intervals_to_windows(event["slots"], participant.get("availability"))
    return {**participant, "availability_windows": windows}
