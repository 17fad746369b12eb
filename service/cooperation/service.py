"""CooperationService: the one entry point of the pipeline for the API, the pages, jobs and the
CLI (records, outcomes, figures, weights, data rights), built for one named caller."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service.access.keys import Principal
from service.cooperation import rights
from service.cooperation.figures import FunnelFigures
from service.cooperation.outcomes import MeetingOutcomes
from service.cooperation.records import CooperationRecords, iso, utcnow
from service.cooperation.weights import WeightProposals, refresh
from service.errors import ForbiddenError, InvalidRequestError, NotFoundError
from service.matching.filters import MatchRequest

ASK_JOB = "service.cooperation.jobs.ask_follow_up"


@dataclass
class CooperationService:
    records: CooperationRecords
    outcomes: MeetingOutcomes
    figures: FunnelFigures
    weights: WeightProposals

    def member_data(self, member: dict[str, Any]) -> dict[str, Any]:
        return rights.member_data(self.records.store, self.records.guard, member)

    def forget_member(self, member: dict[str, Any]) -> int:
        return rights.forget_member(self.records.store, self.records.guard, member)


def principal_dict(p: Principal) -> dict[str, Any]:
    return {"key_id": p.key_id, "role": p.role, "subject": p.subject}


def build_cooperation(services: Any, principal: Principal | None,
                      clock: Any = utcnow) -> CooperationService:
    """Wiring for service.container: one store per process, the matcher as scorer, RQ for the
    follow-up questions (each job carries the caller who recorded the outcome)."""
    if principal is None:  # fail closed: jobs and the CLI name their caller explicitly
        raise ForbiddenError("the cooperation pipeline needs a named caller")
    store, cfg = services.cooperation_store, services.pipeline_config
    guard = services.guard(principal)
    events = services.event_service(principal)
    records = CooperationRecords(store, services.index, guard, scorer=lambda s, p, t: score_pair(services, s, p, t),
                                 events=events, clock=clock)

    def schedule(fid: str, delay: timedelta) -> str:
        return services.queue.enqueue_in(delay, ASK_JOB, fid, principal_dict(principal),
                                         description=f"follow-up question {fid}")

    return CooperationService(
        records=records,
        outcomes=MeetingOutcomes(records, cfg["follow_up_delays"], schedule),
        figures=FunnelFigures(store, guard, events, services.index),
        weights=WeightProposals(store, guard, services.domain.matching, services.base_weights, cfg["learning"],
                                clock=clock))


def refresh_weights(services: Any) -> None:
    """Before a search: take the weights an admin applied (in any process) since the last look."""
    path = services.settings.data_dir / "cooperation.sqlite3"
    if "cooperation_store" not in services.__dict__ and not path.exists():
        return  # nothing was ever applied here
    stamp = services.cooperation_store.weights_stamp()
    if services.weights_stamp != stamp:
        refresh(services.domain.matching, services.cooperation_store, services.base_weights)
        services.weights_stamp = stamp


def score_pair(services: Any, seeker: dict[str, str], partner: dict[str, str],
               cooperation_type: str | None) -> dict[str, Any] | None:
    """The match of `partner` for `seeker` as the matcher ranks it now (reasons, criteria). The
    callers authorised the pair already, so the matcher runs without a guard here."""
    from service.matching.matcher import Matcher

    refresh_weights(services)
    matcher = Matcher(services.index, services.embedder, services.domain, services.gap_vectors)
    req = MatchRequest(target=partner["kind"], seeker_kind=seeker["kind"], seeker_id=seeker["id"],
                       cooperation_type=cooperation_type, foreign_only=False,
                       participants=frozenset({partner["id"]}), limit=1, audience="members")
    try:
        page = matcher.find(req)
    except (NotFoundError, InvalidRequestError):  # a profile gone or without anything to match on
        return None
    if not page.items:
        return None
    m = page.items[0]
    return {"search_type": page.search_type, "seeker": seeker["id"], "partner": m.id, "score": m.score,
            "sentence": m.sentence, "criteria": m.criteria, "pairs": m.pairs, "gaps_filled": m.gaps_filled,
            "at": iso(datetime.now().astimezone())}
