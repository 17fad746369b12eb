"""FunnelFigures: the funnel of one event, one cluster or everything, for whoever may show it."""
from __future__ import annotations

from typing import Any

from service.access.policy import Guard, check_cooperation_figures
from service.cooperation.funnel import funnel, funnel_csv
from service.cooperation.store import CooperationStore
from service.index.base import ProfileFilter, ProfileIndex

MAX_CLUSTER_MEMBERS = 20_000


class FunnelFigures:
    def __init__(self, store: CooperationStore, guard: Guard, events: Any, index: ProfileIndex) -> None:
        self.store = store
        self.guard = guard
        self.events = events
        self.index = index

    def figures(self, event_id: str | None = None, cluster: str | None = None) -> dict[str, Any]:
        event = self.events.event(event_id) if event_id else None
        check_cooperation_figures(self.guard, cluster, event)
        if event_id:
            records = [r for r in self.store.records() if any(m.get("event_id") == event_id for m in r["meetings"])]
            requests = self.events.store.requests(event_id)
            keep = lambda o: o["meeting_key"].startswith(f"{event_id}/")  # noqa: E731
            scope = {"kind": "event", "id": event_id, "label": f"event {event_id}"}
        else:
            records = self.store.records(cluster)
            members = self._members(cluster) if cluster else None
            requests = self._requests(members)
            ids = {r["id"] for r in records}
            keep = lambda o: o["record_id"] in ids  # noqa: E731
            scope = ({"kind": "cluster", "id": cluster, "label": f"cluster {cluster}"} if cluster
                     else {"kind": "all", "id": None, "label": "all"})
        outcomes = [o for o in self.store.outcomes() if keep(o)]
        histories = {r["id"]: self.store.history(r["id"]) for r in records}
        return {"scope": scope, **funnel(records, histories, outcomes, requests)}

    def csv(self, event_id: str | None = None, cluster: str | None = None) -> str:
        return funnel_csv(self.figures(event_id, cluster))

    def _members(self, cluster: str) -> set[str]:
        page = self.index.search("members", ProfileFilter(clusters=frozenset({cluster})), 0, MAX_CLUSTER_MEMBERS)
        return {d["id"] for d in page.items}

    def _requests(self, members: set[str] | None) -> list[dict[str, Any]]:
        """Meeting requests of every event; with `members`, those where one side is among them."""
        out = []
        for event in self.events.store.events():
            requests = self.events.store.requests(event["id"])
            if members is not None:
                who = {p["id"]: p.get("member_id")
                       for p in self.events.store.participants(event["id"], include_cancelled=True)}
                requests = [r for r in requests if who.get(r["from"]) in members or who.get(r["to"]) in members]
            out += requests
        return out
