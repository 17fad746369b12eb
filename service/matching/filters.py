"""Hard filters: what the index restricts (countries, clusters, event, self) and what is checked
on each candidate (cooperation type accepted, certifications)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.index.base import ProfileFilter


@dataclass(frozen=True)
class MatchRequest:
    target: str  # clusters | members: what is searched
    seeker_kind: str | None = None
    seeker_id: str | None = None
    text: str | None = None
    country: str | None = None  # the free-text seeker's own country
    cooperation_type: str | None = None
    countries: frozenset[str] = frozenset()
    exclude_countries: frozenset[str] = frozenset()
    foreign_only: bool | None = None  # None: foreign-only for cluster searches
    clusters: frozenset[str] = frozenset()
    participants: frozenset[str] | None = None  # an event's participants
    certifications: frozenset[str] = frozenset()
    offset: int = 0
    limit: int = 10
    audience: str = "public"
    seeker_owned: bool = False  # the caller owns the stored seeker: its private fields may feed matching

    @property
    def search_type(self) -> str:
        return "text" if self.text else self.target


def index_filter(req: MatchRequest, seeker_country: str | None, seeker_id: str | None) -> ProfileFilter:
    foreign_only = req.foreign_only if req.foreign_only is not None else req.target == "clusters"
    exclude = set(req.exclude_countries)
    if foreign_only and seeker_country:
        exclude.add(seeker_country)
    return ProfileFilter(
        countries=req.countries,
        exclude_countries=frozenset(exclude),
        clusters=req.clusters,
        ids=req.participants,
        exclude_ids=frozenset({seeker_id}) if seeker_id else frozenset(),
    )


def accepts(candidate: dict[str, Any], cooperation_type: str | None, coop: dict[str, dict[str, Any]]) -> bool:
    """A candidate must seek this type or one of its counterparts; what it seeks is what it
    declares, or else the types of its requests. A candidate that says nothing accepts all."""
    declared = set(candidate.get("cooperation_types") or []) or {
        r["type"] for r in candidate.get("requests") or [] if r.get("type")}
    if not cooperation_type or not declared:
        return True
    wanted = {cooperation_type, *coop.get(cooperation_type, {}).get("counterparts", [])}
    return bool(declared & wanted)


def certified(candidate: dict[str, Any], required: frozenset[str]) -> bool:
    if not required:
        return True
    held = {c.casefold().replace(" ", "") for c in candidate.get("certifications") or []}
    return all(r.casefold().replace(" ", "") in held for r in required)


def passes(candidate: dict[str, Any], req: MatchRequest, coop: dict[str, dict[str, Any]]) -> bool:
    return accepts(candidate, req.cooperation_type, coop) and certified(candidate, req.certifications)
