"""Why two participants meet, in the matcher's words, for a participant's agenda exports.

The recipient's member profile is the seeker and its partners are the only candidates, so the
reasons are the ones the event's suggestions show: the explained sentence, which leads with the
strongest need↔offer pair. Privacy follows the suggestions: partners are seen as network members see them,
and the recipient's own private fields count only when the caller owns that profile.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from service.agenda.model import pair_key
from service.matching.filters import MatchRequest

if TYPE_CHECKING:
    from service.events.service import EventService
    from service.matching.service import MatchService

Reasons = dict[tuple[str, str], list[str]]


def meeting_reasons(events: EventService, matching: Callable[[], MatchService], event_id: str, pid: str,
                    partners: list[str]) -> Reasons:
    """Lines per pair (pair_key(pid, partner)); pairs the matcher does not explain have none,
    nor do participants without a member profile (imported or entered by the organiser), for
    whom the matcher (and its model) is not even built."""
    me = events.participant(event_id, pid)
    by_member = {}
    for other in dict.fromkeys(partners):
        doc = events.store.participant(event_id, other)
        if doc and doc.get("member_id"):
            by_member[doc["member_id"]] = other
    seeker = events.index.get("members", me["member_id"]) if me.get("member_id") and events.index else None
    if seeker is None or not by_member:
        return {}
    page = matching().matcher.find(MatchRequest(
        target="members", seeker_kind="members", seeker_id=seeker["id"],
        participants=frozenset(by_member), limit=len(by_member), audience="members",
        seeker_owned=events.guard.owns_profile("members", seeker)))
    out: Reasons = {}
    for m in page.items:
        if m.id not in by_member:
            continue
        if m.sentence:  # it names the strongest need↔offer pair, the right way round
            out[pair_key(pid, by_member[m.id])] = [m.sentence]
    return out
