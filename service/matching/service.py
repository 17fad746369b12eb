"""The matching service used by the API, the CLI and jobs: single searches, consortia, batches."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from service.access.policy import Guard
from service.batch_results import BatchResults
from service.errors import InvalidRequestError, NotFoundError
from service.index.base import ProfileFilter, ProfileIndex
from service.matching.consortium import build_consortia
from service.matching.filters import MatchRequest
from service.matching.matcher import Matcher, MatchPage
from service.queue import JobQueue, report_progress

BATCH_JOB = "service.jobs.run_match_batch"
MAX_BATCH_SEEKERS = 20_000


class MatchService:
    def __init__(self, matcher: Matcher, index: ProfileIndex, results_dir: Path,
                 queue: Callable[[], JobQueue] | None = None, participants: Any = None,
                 *, guard: Guard, events: Any = None) -> None:
        self.guard = guard
        self.events = events
        self.matcher = matcher
        self.index = index
        self.results_dir = results_dir
        self.queue = queue  # a provider: Redis is only touched when a batch is started
        self.participants = participants  # callable(event_id) -> set of profile ids, once events exist

    def event_suggestions(self, event_id: str, pid: str, limit: int = 10) -> dict[str, Any]:
        return event_suggestions(self, event_id, pid, limit)

    def build_request(self, args: dict[str, Any]) -> MatchRequest:
        """A MatchRequest from arguments loaded by MatchRequestSchema (API, CLI and web pages):
        the target defaults to the seeker's kind, or members for a free-text need."""
        seeker = args.get("seeker") or {}
        participants = self.event_participants(args["event_id"]) if args.get("event_id") else None
        return MatchRequest(
            target=args.get("target") or seeker.get("kind") or "members", seeker_kind=seeker.get("kind"),
            seeker_id=seeker.get("id"), text=args.get("text"), country=args.get("country"),
            cooperation_type=args.get("cooperation_type"),
            countries=frozenset(args.get("countries") or ()),
            exclude_countries=frozenset(args.get("exclude_countries") or ()),
            foreign_only=args.get("foreign_only"), clusters=frozenset(args.get("clusters") or ()),
            participants=participants, certifications=frozenset(args.get("certifications") or ()),
            offset=(args.get("page", 1) - 1) * args.get("page_size", 10), limit=args.get("page_size", 10))

    def find(self, req: MatchRequest) -> MatchPage:
        owned = False
        if req.seeker_id and req.seeker_kind and not req.text:
            doc = self.index.get(req.seeker_kind, req.seeker_id)
            if doc is None:
                raise NotFoundError(f"no {req.seeker_kind[:-1]} {req.seeker_id!r} to match for")
            self.guard.check_seeker(req.seeker_kind, doc)
            owned = True
        # Candidates are shown as network members see them, whoever asks.
        return self.matcher.find(replace(req, audience="members", seeker_owned=owned))

    def consortia(self, req: MatchRequest, max_size: int = 3) -> dict[str, Any]:
        owned = False
        if req.seeker_kind and req.seeker_id and not req.text:
            doc = self.index.get(req.seeker_kind, req.seeker_id)
            if doc is None:
                raise NotFoundError(f"no {req.seeker_kind[:-1]} {req.seeker_id!r} to match for")
            self.guard.check_seeker(req.seeker_kind, doc)  # acting only as oneself
            owned = True
        seeker, options = build_consortia(self.matcher, replace(req, audience="members", seeker_owned=owned),
                                          max_size=max_size)
        return {"seeker": seeker, "consortia": [
            {"partners": [_match_dict(m) for m in c.partners], "covered": c.covered,
             "uncovered": c.uncovered, "coverage": c.coverage, "score": c.score, "reasons": c.reasons}
            for c in options]}

    def event_participants(self, event_id: str) -> frozenset[str]:
        if self.participants is None:
            raise NotFoundError(f"no event {event_id!r}")
        return frozenset(self.participants(event_id))

    # -- batches ------------------------------------------------------------------------------
    @property
    def results(self) -> BatchResults:
        return BatchResults(self.results_dir)

    def start_batch(self, spec: dict[str, Any]) -> str:
        if self.queue is None:
            raise InvalidRequestError("batches need the job queue")
        self._check_scope(spec)
        self.seekers_of(spec)  # fail now, not in the worker, when the spec names nothing
        self.results.sweep()
        who = self.guard.principal
        # The job runs as its starter: the worker rebuilds the same Guard from `by`.
        spec = {**spec, "by": [who.key_id, who.role, who.subject]}
        return self.queue().enqueue(BATCH_JOB, spec, description=f"match batch for {spec.get('scope')}",
                                    meta={"key_id": who.key_id})

    def _check_scope(self, spec: dict[str, Any]) -> None:
        """The scope actually used (event, else cluster, else ids) is checked against the caller."""
        if spec.get("event_id"):
            if self.events is None:
                raise NotFoundError(f"no event {spec['event_id']!r}")
            self.guard.check_batch({}, self.events.event(spec["event_id"]))
        elif spec.get("cluster"):
            self.guard.check_batch({"cluster": spec["cluster"]}, None)
        else:
            for seeker_id in spec.get("ids") or []:
                doc = self.index.get(spec["seeker_kind"], seeker_id)
                if doc is None:
                    raise NotFoundError(f"no {spec['seeker_kind'][:-1]} {seeker_id!r}")
                self.guard.check_seeker(spec["seeker_kind"], doc)

    def seekers_of(self, spec: dict[str, Any]) -> list[str]:
        kind = spec["seeker_kind"]
        if spec.get("event_id"):
            ids = sorted(self.event_participants(spec["event_id"]))
        elif spec.get("cluster"):
            if self.index.get("clusters", spec["cluster"]) is None:
                raise NotFoundError(f"no cluster {spec['cluster']!r}")
            ids = [d["id"] for d in self.index.search(
                kind, ProfileFilter(clusters=frozenset({spec["cluster"]})), 0, MAX_BATCH_SEEKERS).items]
        else:
            ids = list(spec.get("ids") or [])
        if not ids:
            raise InvalidRequestError("the batch has no seekers", {"scope": ["no seekers found"]})
        return ids

    def run_batch(self, spec: dict[str, Any], job_id: str) -> dict[str, Any]:
        """Runs as the batch's starter (self.guard): a seeker it does not own is matched on
        its non-private fields only, so no private need reaches the results."""
        seekers = self.seekers_of(spec)
        base = MatchRequest(target=spec["target"], seeker_kind=spec["seeker_kind"],
                            cooperation_type=spec.get("cooperation_type"),
                            foreign_only=spec.get("foreign_only"), limit=spec.get("per_seeker", 10),
                            participants=self.event_participants(spec["event_id"]) if spec.get("event_id") else None,
                            audience="members")
        docs = self.index.get_many(spec["seeker_kind"], seekers)
        rows: list[dict[str, Any]] = []
        for done, seeker_id in enumerate(seekers, 1):
            doc = docs.get(seeker_id)
            if doc is not None:
                owned = self.guard.owns_profile(spec["seeker_kind"], doc)
                page = self.matcher.find(replace(base, seeker_id=seeker_id, seeker_owned=owned))
                for rank, m in enumerate(page.items, 1):
                    rows.append({"seeker": seeker_id, "rank": rank, "partner": m.id, "name": m.name,
                                 "country": m.country, "score": m.score, "sentence": m.sentence,
                                 "gaps_filled": m.gaps_filled, "pairs": m.pairs,
                                 "criteria": {k: v["contribution"] for k, v in m.criteria.items()}})
            report_progress(done, len(seekers), f"{done}/{len(seekers)} seekers")
        self.results.save(job_id, rows, self.guard.principal)
        return {"seekers": len(seekers), "results": len(rows)}

    def batch_results(self, job_id: str, fmt: str) -> str:
        return self.results.read(job_id, fmt, self.guard.principal)


def _match_dict(m: Any) -> dict[str, Any]:
    return asdict(m)


def event_suggestions(service: MatchService, event_id: str, pid: str, limit: int = 10) -> dict[str, Any]:
    """Whom a participant should meet at the event, and why: the matcher restricted to the
    event's participants (their member profiles), mapped back to participant ids."""
    events = service.events
    me = events.participant(event_id, pid)
    events.guard.check_participant(events.event(event_id), me, "read suggestions")
    if not me.get("member_id"):
        raise InvalidRequestError("suggestions need the participant's member profile",
                                  {"member_id": ["not linked"]})
    by_member = {p["member_id"]: p["id"] for p in events.live_participants(event_id) if p.get("member_id")}
    # Authorised as this participant above: the matcher runs for them directly.
    seeker = service.index.get("members", me["member_id"])
    if seeker is None:
        raise NotFoundError(f"no member {me['member_id']!r}")
    # An organiser asking for a participant sees matches of its non-private fields only.
    owned = events.guard.owns_profile("members", seeker)
    page = service.matcher.find(MatchRequest(target="members", seeker_kind="members", seeker_id=me["member_id"],
                                             participants=frozenset(by_member), limit=limit, audience="members",
                                             seeker_owned=owned))
    return {"participant": pid, "items": [
        {"participant": by_member.get(m.id), "member_id": m.id, "name": m.name, "country": m.country,
         "score": m.score, "sentence": m.sentence, "pairs": m.pairs, "gaps_filled": m.gaps_filled}
        for m in page.items]}
