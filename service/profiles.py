"""The profiles service: read and list cluster and member profiles as an audience may see them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.access.policy import Guard
from service.errors import NotFoundError
from service.index.base import ProfileFilter, ProfileIndex
from service.privacy import visible_view

MAX_FILTER_SCAN = 5000


@dataclass
class ProfilePage:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


class ProfileService:
    def __init__(self, index: ProfileIndex, guard: Guard, events: Any = None, cooperation: Any = None,
                 results: Any = None) -> None:
        self.index = index
        self.cooperation = cooperation  # CooperationService: a member's cooperation records
        self.guard = guard
        self.events = events  # EventService, for a member's own event data (export, deletion)
        self.results = results  # BatchResults, which may mention the member (export, deletion)

    def _doc(self, kind: str, profile_id: str) -> dict[str, Any]:
        doc = self.index.get(kind, profile_id)
        if doc is None:
            raise NotFoundError(f"no {kind[:-1]} {profile_id!r}")
        return doc

    def read(self, kind: str, profile_id: str) -> dict[str, Any]:
        doc = self._doc(kind, profile_id)
        return visible_view(doc, self.guard.audience(kind, doc))

    def list(self, kind: str, flt: ProfileFilter, page: int = 1, page_size: int = 20) -> ProfilePage:
        if not (flt.clusters or flt.org_types):  # the other filters are on fields everyone sees
            found = self.index.search(kind, flt, (page - 1) * page_size, page_size)
            return ProfilePage([self._view(kind, d) for d in found.items], found.total, page, page_size)
        # A filter may only select a profile on a value the caller can see: re-check each hit on
        # the caller's view (bounded scan; the full-text index holds no private field at all).
        hits = self.index.search(kind, flt, 0, MAX_FILTER_SCAN).items
        views = [v for v in (self._view(kind, d) for d in hits) if _still_matches(v, flt)]
        start = (page - 1) * page_size
        return ProfilePage(views[start : start + page_size], len(views), page, page_size)

    def _view(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        return visible_view(doc, self.guard.audience(kind, doc))

    def export(self, kind: str, profile_id: str) -> dict[str, Any]:
        """Everything Maillon holds about a profile, for its owner (data portability)."""
        doc = self._doc(kind, profile_id)
        self.guard.check_profile_owner(kind, doc, "export")
        out: dict[str, Any] = {"kind": kind, "profile": doc, "events": [], "batch_results": []}
        if self.events is not None and kind == "members":
            out["events"] = self.events.member_data(profile_id)
        if self.cooperation is not None and kind == "members":
            out.update(self.cooperation.member_data(doc))
        if self.results is not None:
            out["batch_results"] = self.results.held_about(profile_id)
        return out

    def delete(self, kind: str, profile_id: str) -> dict[str, Any]:
        """Remove the profile from the store and the index; a member's event participations
        are cancelled and stripped of contact details."""
        doc = self._doc(kind, profile_id)
        self.guard.check_profile_owner(kind, doc, "delete")
        anonymised = self.cooperation.forget_member(doc) if self.cooperation is not None and kind == "members" else 0
        self.index.delete(kind, [profile_id])
        forgotten = self.events.forget_member(profile_id) if self.events is not None and kind == "members" else 0
        results = self.results.forget(profile_id) if self.results is not None else 0
        return {"deleted": profile_id, "kind": kind, "event_participations_removed": forgotten,
                "cooperation_records_anonymised": anonymised, "batch_results_removed": results}


def _still_matches(view: dict[str, Any], flt: ProfileFilter) -> bool:
    if flt.clusters and not set(view.get("clusters") or []) & flt.clusters:
        return False
    org_type = view.get("org_type") or view.get("kind")
    return not flt.org_types or org_type in flt.org_types
