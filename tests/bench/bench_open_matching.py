"""Matching quality on the open-world set (tests/eval/open, issue #11 point 9): pass rate, MRR and
look-alike-first rate of Maillon and of three baselines.

Each scenario's seeker and candidates go into a fresh embedded index through the product's own
ingest (indexers.sources.read_records + indexers.pipeline.ingest); what the ingest rejects is
counted and left out of Maillon's ranking, the baselines score the raw records.

Run: python -m tests.bench.bench_open_matching [--set tests/eval/heldout] [--only c01,m02] [--force-in]
     [--details] [--json out.json]"""
from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.open_baselines import Vectors, profile_text, rank_bm25, rank_cosine, rank_need_offer, tokens

OPEN = Path(__file__).resolve().parent.parent / "eval" / "open"
KINDS = {"cluster": ("clusters", "clusters"), "member": ("members", "members"), "text": (None, "members")}
ROLES = ("good", "lookalike", "other_buyer", "same_language", "same_country", "other")
DISTRACTORS = ("lookalike", "other_buyer", "same_language")
RANKERS = ("maillon", "cosine", "bm25", "need_offer")
SELLING = {"client", "distributor", "licence"}  # request types of a seeker that sells


@dataclass
class Scenario:
    id: str
    kind: str  # cluster | member | text
    candidates: dict[str, list[str]]  # role -> ids
    seeker: str | None = None
    text: str | None = None
    language: str | None = None
    country: str | None = None
    note: str = ""

    @property
    def seeker_kind(self) -> str | None:
        return KINDS[self.kind][0]

    @property
    def target(self) -> str:
        return KINDS[self.kind][1]

    def ids(self) -> list[str]:
        return [pid for role in ROLES for pid in self.candidates.get(role, [])]


@dataclass
class OpenSet:
    profiles: dict[str, dict[str, dict[str, Any]]]  # kind -> id -> raw record
    scenarios: list[Scenario]

    def seeker_record(self, s: Scenario) -> dict[str, Any] | None:
        return self.profiles[s.seeker_kind][s.seeker] if s.seeker and s.seeker_kind else None

    def language(self, s: Scenario) -> str:
        record = self.seeker_record(s)
        return s.language or (record or {}).get("language") or "?"

    def direction(self, s: Scenario) -> str:
        """'sells' when the seeker asks for clients, distributors or licensees, else 'buys'."""
        if s.kind == "text":
            return "buys (free text)"
        asked = {r.get("type") for r in (self.seeker_record(s) or {}).get("requests") or []}
        return "sells" if asked & SELLING else "buys"


@dataclass
class Outcome:
    ranking: list[str]
    passed: bool
    rr: float
    lookalike_first: bool


@dataclass
class MaillonRun:
    ranking: list[str]
    rejected: dict[str, list[str]] = field(default_factory=dict)  # id -> ["field: message"]
    warnings: dict[str, list[str]] = field(default_factory=dict)  # id -> ["field: message"]
    seeker_rejected: bool = False


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_set(folder: Path = OPEN) -> OpenSet:
    profiles = {kind: {r["id"]: r for r in _jsonl(folder / f"{kind}.jsonl")} for kind in ("clusters", "members")}
    scenarios = [Scenario(**row) for row in _jsonl(folder / "scenarios.jsonl")]
    return OpenSet(profiles, scenarios)


def excluded_countries(s: Scenario, seeker_country: str | None) -> frozenset[str]:
    """The countries the product's default search leaves out for this scenario (foreign-only
    cluster searches drop the seeker's own country); the baselines get the same hard filter."""
    from service.matching.filters import MatchRequest, index_filter

    req = MatchRequest(target=s.target, seeker_kind=s.seeker_kind, seeker_id=s.seeker, text=s.text)
    return index_filter(req, seeker_country, s.seeker).exclude_countries


def _country(record: dict[str, Any] | None, fallback: str | None = None) -> str | None:
    from service.normalise import country_code

    raw = (record or {}).get("country") or fallback
    return country_code(raw) if isinstance(raw, str) else None


def bad_roles(s: Scenario, data: OpenSet) -> tuple[str, ...]:
    """Roles every good partner must beat. The same-country complement is one of them when the
    default search is foreign-only for this seeker (then it must not show at all), else neutral."""
    seeker_country = _country(data.seeker_record(s), s.country)
    foreign_only = seeker_country is not None and seeker_country in excluded_countries(s, seeker_country)
    return DISTRACTORS + (("same_country",) if foreign_only else ())


def judge(s: Scenario, ranking: list[str], bad: tuple[str, ...]) -> Outcome:
    """Pass: every good partner is ranked, above every candidate of a `bad` role; candidates
    missing from the ranking (rejected, filtered) all tie below the ranked ones."""
    pos = {pid: n for n, pid in enumerate(ranking)}
    bottom = len(ranking)
    good = s.candidates["good"]
    worse = [pid for role in bad for pid in s.candidates.get(role, [])]
    passed = all(g in pos for g in good) and all(pos[g] < pos.get(b, bottom) for g in good for b in worse)
    first = min((pos[g] for g in good if g in pos), default=None)
    rr = 0.0 if first is None else 1.0 / (first + 1)
    lookalike_first = bool(ranking) and ranking[0] in s.candidates.get("lookalike", [])
    return Outcome(ranking, passed, rr, lookalike_first)


# -- Maillon, through the product's ingest and matcher ---------------------------------------
def run_maillon(s: Scenario, data: OpenSet, embedder: Any, domain: Any, workdir: Path,
                gap_vectors: dict[str, Any], force_in: bool = False) -> MaillonRun:
    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from service.index.embedded import EmbeddedIndex
    from service.matching.filters import MatchRequest
    from service.matching.matcher import Matcher

    folder = workdir / s.id
    folder.mkdir(parents=True, exist_ok=True)
    index = EmbeddedIndex(folder / "index.sqlite3")
    records = {s.target: [data.profiles[s.target][pid] for pid in s.ids()]}
    if s.seeker_kind:
        records.setdefault(s.seeker_kind, []).insert(0, data.profiles[s.seeker_kind][s.seeker])
    rejected: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for kind, rows in records.items():
        if force_in:
            from tests.bench.open_force import force_in as coerce

            rows = [coerce(r, kind, domain) for r in rows]
        path = folder / f"{kind}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        source = list(read_records(path, kind))
        owner = {rec.locator: (rec.data or {}).get("id") for rec in source}
        report = ingest(source, kind, index, embedder, domain, source=path.name)
        for err in report.errors:
            rejected.setdefault(owner.get(err["locator"], err["locator"]), []).append(
                f"{err['field']}: {err['message']}")
        for warn in report.warnings:
            warnings.setdefault(owner.get(warn["locator"], warn["locator"]), []).append(
                f"{warn['field']}: {warn['message']}")
    if s.seeker and s.seeker in rejected:
        return MaillonRun([], rejected, warnings, seeker_rejected=True)
    req = MatchRequest(target=s.target, seeker_kind=s.seeker_kind, seeker_id=s.seeker, text=s.text,
                       country=s.country if s.text else None, participants=frozenset(s.ids()), limit=50)
    page = Matcher(index, embedder, domain, gap_vectors=gap_vectors).find(req)
    return MaillonRun([m.id for m in page.items], rejected, warnings)


# -- all rankers over the set ----------------------------------------------------------------
@dataclass
class Results:
    outcomes: dict[str, dict[str, Outcome]]  # ranker -> scenario id -> outcome
    runs: dict[str, MaillonRun]
    scenarios: list[Scenario]
    languages: dict[str, str]
    directions: dict[str, str]


def evaluate(data: OpenSet, embedder: Any, domain: Any, only: set[str] | None = None,
             rankers: tuple[str, ...] = RANKERS, force_in: bool = False) -> Results:
    from rank_bm25 import BM25Okapi

    scenarios = [s for s in data.scenarios if not only or s.id in only]
    vectors = Vectors(embedder)
    corpus = {kind: list(profs) for kind, profs in data.profiles.items()}
    bm25 = {kind: BM25Okapi([tokens(profile_text(data.profiles[kind][i])) for i in ids])
            for kind, ids in corpus.items()}
    outcomes: dict[str, dict[str, Outcome]] = {r: {} for r in rankers}
    runs: dict[str, MaillonRun] = {}
    gap_vectors: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for s in scenarios:
            seeker = data.seeker_record(s)
            bad = bad_roles(s, data)
            drop = excluded_countries(s, _country(seeker, s.country))
            cands = {pid: data.profiles[s.target][pid] for pid in s.ids()
                     if _country(data.profiles[s.target][pid]) not in drop}
            for ranker in rankers:
                if ranker == "maillon":
                    runs[s.id] = run_maillon(s, data, embedder, domain, Path(tmp), gap_vectors, force_in)
                    ranking = runs[s.id].ranking
                elif ranker == "cosine":
                    ranking = rank_cosine(vectors, seeker, s.text, cands)
                elif ranker == "bm25":
                    ranking = rank_bm25(bm25[s.target], corpus[s.target], seeker, s.text, cands)
                else:
                    ranking = rank_need_offer(vectors, seeker, s.text, cands)
                outcomes[ranker][s.id] = judge(s, ranking, bad)
    return Results(outcomes, runs, scenarios, {s.id: data.language(s) for s in scenarios},
                   {s.id: data.direction(s) for s in scenarios})


# -- report ----------------------------------------------------------------------------------
def summary(outcomes: list[Outcome]) -> tuple[float, float, int]:
    n = len(outcomes) or 1
    return (sum(o.passed for o in outcomes) / n, sum(o.rr for o in outcomes) / n,
            sum(o.lookalike_first for o in outcomes))


def to_markdown(results: Results, data: OpenSet) -> str:
    n = len(results.scenarios)
    lines = ["| ranker | pass rate | MRR | look-alike ranked first |", "|---|---|---|---|"]
    for ranker, by_id in results.outcomes.items():
        rate, mrr, first = summary(list(by_id.values()))
        lines.append(f"| {ranker} | {rate:.0%} ({sum(o.passed for o in by_id.values())}/{n}) "
                     f"| {mrr:.3f} | {first}/{n} |")
    for title, key in (("kind", lambda s: s.kind), ("seeker language", lambda s: results.languages[s.id]),
                       ("direction", lambda s: results.directions[s.id])):
        groups: dict[str, list[Scenario]] = {}
        for s in results.scenarios:
            groups.setdefault(key(s), []).append(s)
        lines += ["", f"Pass rate by {title}:", "",
                  f"| {title} | scenarios | " + " | ".join(results.outcomes) + " |",
                  "|---|---|" + "---|" * len(results.outcomes)]
        for name in sorted(groups):
            cells = [f"{summary([by_id[s.id] for s in groups[name]])[0]:.0%}" for by_id in results.outcomes.values()]
            lines.append(f"| {name} | {len(groups[name])} | " + " | ".join(cells) + " |")
    if results.runs:
        lines += ["", ingest_summary(results, data)]
    return "\n".join(lines)


def ingest_summary(results: Results, data: OpenSet) -> str:
    """How much of the set the product's ingest refused, and why (by field)."""
    rejected: dict[str, list[str]] = {}
    warned: dict[str, list[str]] = {}
    for run in results.runs.values():
        rejected.update(run.rejected)
        warned.update(run.warnings)
    used = {pid for s in results.scenarios for pid in s.ids() + ([s.seeker] if s.seeker else [])}
    seekers = sum(run.seeker_rejected for run in results.runs.values())
    return (f"Ingest: {len(rejected)} of {len(used)} records rejected; {seekers} of "
            f"{len(results.runs)} searches lost their seeker. Rejected records by field: "
            f"{_by_field(rejected)}. Records with warnings, by field: {_by_field(warned)}.")


def _by_field(messages: dict[str, list[str]]) -> str:
    """How many records have a message on each top-level field ("offers.0.link" counts as offers)."""
    fields = Counter(name for msgs in messages.values()
                     for name in {msg.split(":", 1)[0].split(".")[0] for msg in msgs})
    return ", ".join(f"{name} {count}" for name, count in fields.most_common()) or "none"


def details(results: Results) -> str:
    lines = []
    for s in results.scenarios:
        role = {pid: r for r in ROLES for pid in s.candidates.get(r, [])}
        lines.append(f"{s.id} ({s.kind}, {results.languages[s.id]}) {s.seeker or s.text}")
        for ranker, by_id in results.outcomes.items():
            o = by_id[s.id]
            shown = " > ".join(f"{pid}[{role.get(pid, '?')}]" for pid in o.ranking)
            run = results.runs.get(s.id) if ranker == "maillon" else None
            lost = (f"  (ingest rejected {len(run.rejected)}"
                    f"{', the seeker among them' if run.seeker_rejected else ''})") if run and run.rejected else ""
            lines.append(f"  {ranker:10} {'PASS' if o.passed else 'fail'} {shown or '(nothing)'}{lost}")
    return "\n".join(lines)


def _load_domain(config_dir: Path) -> Any:
    try:  # main renamed service.domain to service.domain_config (686ae7a); this branch predates it
        from service.domain_config import load_domain
    except ImportError:
        from service.domain_config import load_domain
    return load_domain(config_dir)


def main() -> None:
    from service.embeddings import load_embedder
    from service.settings import REPO_CONFIG_DIR, load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated scenario ids")
    parser.add_argument("--force-in", action="store_true",
                        help="coerce what today's ingest rejects (see tests/bench/open_force.py)")
    parser.add_argument("--details", action="store_true", help="print every ranking")
    parser.add_argument("--json", type=Path, help="also write every ranking and outcome to this file")
    parser.add_argument("--set", type=Path, default=OPEN,
                        help="folder of the set (default tests/eval/open; tests/eval/heldout is the held-out one)")
    args = parser.parse_args()
    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir)
    domain = _load_domain(REPO_CONFIG_DIR)
    data = load_set(args.set)
    only = set(args.only.split(",")) if args.only else None
    results = evaluate(data, embedder, domain, only, force_in=args.force_in)
    print(f"model: {embedder.name}; scenarios: {len(results.scenarios)}"
          f"{'; records forced in' if args.force_in else ''}\n")
    print(to_markdown(results, data))
    if args.details:
        print("\n" + details(results))
    if args.json:
        args.json.write_text(json.dumps(as_json(results), ensure_ascii=False, indent=1), encoding="utf-8")


def as_json(results: Results) -> dict[str, Any]:
    """Per scenario and ranker: the ranking and its outcome; for Maillon, what the ingest said."""
    out: dict[str, Any] = {}
    for s in results.scenarios:
        row: dict[str, Any] = {r: {"ranking": o[s.id].ranking, "passed": o[s.id].passed, "rr": o[s.id].rr,
                                   "lookalike_first": o[s.id].lookalike_first}
                               for r, o in results.outcomes.items()}
        if s.id in results.runs:
            run = results.runs[s.id]
            row["ingest"] = {"rejected": run.rejected, "warnings": run.warnings,
                             "seeker_rejected": run.seeker_rejected}
        out[s.id] = row
    return out


if __name__ == "__main__":
    main()
