"""Value-chain coverage: which links a profile is strong on and which are gaps for it.
A cluster that does not declare its chain gets one derived from its members."""
from __future__ import annotations

from collections import Counter
from typing import Any

from service.domain_config import DomainConfig
from service.index.base import ProfileFilter, ProfileIndex

MAX_MEMBERS_READ = 1000


class Coverage:
    """Per match. `members` (cluster id -> its first MAX_MEMBERS_READ members by name, id) and
    `clusters` (a member seeker's clusters, by id) are what the backend already read in the
    match's batched reads; anything not given is read from the index when needed."""

    def __init__(self, index: ProfileIndex, domain: DomainConfig,
                 members: dict[str, list[dict[str, Any]]] | None = None,
                 clusters: dict[str, dict[str, Any]] | None = None) -> None:
        self.index = index
        self.domain = domain
        self.strong_at = int(domain.matching.get("gap", {}).get("member_strong_at", 2))
        self._derived: dict[str, dict[str, str]] = {}
        self._members: dict[str, list[dict[str, Any]]] = dict(members or {})
        self._clusters = clusters

    def add_members(self, members: dict[str, list[dict[str, Any]]] | None) -> None:
        self._members.update(members or {})

    def cluster_chain(self, doc: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        """link -> (strong|weak|missing, strategic), declared or derived from members."""
        if doc.get("value_chain"):
            return {v["link"]: (v["status"], bool(v.get("strategic"))) for v in doc["value_chain"]}
        return {link: (status, False) for link, status in self._derive(doc).items()}

    def _derive(self, doc: dict[str, Any]) -> dict[str, str]:
        if doc["id"] not in self._derived:
            members = self._members.get(doc["id"])
            if members is None:
                members = self.index.search(
                    "members", ProfileFilter(clusters=frozenset({doc["id"]})), 0, MAX_MEMBERS_READ).items
            counts = Counter(link for m in members for link in member_links(m))
            sector = self.domain.sectors.get(doc.get("sector") or "")
            # Unknown is not missing: without members there is no evidence of any gap.
            links = (sector.link_keys() if sector else list(counts)) if members else []
            self._derived[doc["id"]] = {
                link: "strong" if counts[link] >= self.strong_at else "weak" if counts[link] else "missing"
                for link in links
            }
        return self._derived[doc["id"]]

    def strong_links(self, kind: str, doc: dict[str, Any]) -> set[str]:
        if kind == "members":
            return member_links(doc)
        return {link for link, (status, _) in self.cluster_chain(doc).items() if status == "strong"}

    def gaps(self, kind: str, doc: dict[str, Any], needs: list[dict[str, Any]]) -> dict[str, tuple[str, bool]]:
        """Links the seeker lacks: its chain's missing/weak links (a member's: its clusters'),
        plus the links its needs name."""
        gaps: dict[str, tuple[str, bool]] = {}
        chains = [self.cluster_chain(doc)] if kind == "clusters" else [
            self.cluster_chain(c) for c in self._member_clusters(doc).values()]
        own = member_links(doc) if kind == "members" else set()
        for chain in chains:
            for link, (status, strategic) in chain.items():
                if status in ("missing", "weak") and link not in own:
                    gaps[link] = (status, strategic or gaps.get(link, ("", False))[1])
        for need in needs:
            if need.get("link") and need["link"] not in own:
                gaps.setdefault(need["link"], ("missing", False))
        return gaps

    def _member_clusters(self, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        if self._clusters is not None:  # read along with the seeker; its own (visible) list decides
            return {cid: self._clusters[cid] for cid in doc.get("clusters") or [] if cid in self._clusters}
        return self.index.get_many("clusters", doc.get("clusters") or [])

    def chain_length(self, doc: dict[str, Any]) -> int:
        sector = self.domain.sectors.get(doc.get("sector") or "")
        return len(sector.links) if sector else max(1, len(doc.get("value_chain") or []))


def member_links(doc: dict[str, Any]) -> set[str]:
    links = set(doc.get("value_chain_links") or [])
    links.update(o["link"] for o in doc.get("offers") or [] if o.get("link"))
    return links
