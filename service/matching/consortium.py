"""Consortium builder: a few foreign partners who together fill as many value-chain gaps as
possible. Exact over the best candidates (small sets, so exhaustive search is cheap)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from service.matching.filters import MatchRequest
from service.matching.matcher import Match, Matcher
from service.matching.phrases import N_, Joined, Phrase


@dataclass
class Consortium:
    partners: list[Match]
    covered: list[str]  # gap link keys filled by the partners together
    uncovered: list[str]
    coverage: float  # share of the gap value filled
    score: float  # sum of the partners' match scores
    reasons: list[str]


def build_consortia(matcher: Matcher, req: MatchRequest, max_size: int = 3, pool: int = 30,
                    alternatives: int = 3) -> tuple[dict[str, Any], list[Consortium]]:
    page = matcher.find(replace(req, offset=0, limit=max(pool * 3, 60)))
    gaps: dict[str, str] = page.seeker["gaps"]
    if not gaps:
        return page.seeker, []
    gap_cfg = matcher.cfg["gap"]
    value = {link: gap_cfg.get(status, 0.0) for link, status in gaps.items()}
    useful = [m for m in page.items if set(m.gap_links) & set(gaps)][:pool]
    # Each partner's links and the gaps among them, once (thousands of teams are tried).
    links = {id(m): set(m.gap_links) for m in useful}
    fills = {id(m): links[id(m)] & gaps.keys() for m in useful}
    gap_set = set(gaps)
    options = []
    for size in range(1, max_size + 1):
        for team in combinations(useful, size):
            # A partner that adds no new link to the team is dead weight: skip such teams.
            if size > 1 and any(not fills[id(m)] - set().union(*(links[id(o)] for o in team if o is not m))
                                for m in team):
                continue
            covered = set().union(*(links[id(m)] for m in team)) & gap_set
            options.append((sum(value[link] for link in covered), -size, sum(m.score for m in team), team, covered))
    options.sort(key=lambda o: (-o[0], -o[1], -o[2]))
    total = sum(value.values()) or 1.0
    label = lambda link: matcher.domain.link_name(None, link)  # noqa: E731
    result = []
    for got, _, score, team, covered in options[:alternatives]:
        reasons = [Phrase(N_("%(name)s (%(country)s) fills %(links)s"), name=m.name, country=m.country,
                          links=Joined(", ", [label(g) for g in m.gap_links if g in gaps])) for m in team]
        result.append(Consortium(list(team), sorted(covered), sorted(set(gaps) - covered),
                                 round(got / total, 4), round(score, 4), reasons))
    return page.seeker, result
