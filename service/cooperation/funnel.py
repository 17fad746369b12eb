"""Funnel figures from the records, outcomes and meeting requests: pure functions, chart-ready
(totals, one row per stage, monthly series) and a tidy CSV with formula-safe cells."""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from service.cooperation.vocab import STAGES, AgreementType, stage_rank

STAGE_ACTIONS = ("created", "stage", "stage_from_answer")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _month(text: str | None) -> str | None:
    return text[:7] if text else None


def stage_path(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(at, stage) of every stage a record entered, in order."""
    return [(h["at"], h["to_stage"]) for h in history if h["action"] in STAGE_ACTIONS and h.get("to_stage")]


def stage_rows(records: list[dict[str, Any]], histories: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per stage: records there now, records that reached it (a skipped stage counts as passed),
    the conversion to the next stage, and the median days spent before moving forward."""
    current = Counter(r["stage"] for r in records)
    reached = Counter()
    durations: dict[str, list[float]] = defaultdict(list)
    for record in records:
        path = stage_path(histories.get(record["id"], []))
        top = max([stage_rank(s) for _, s in path] + [stage_rank(record["stage"])])
        for rank in range(top + 1):
            reached[STAGES[rank]] += 1
        for i, (at, stage) in enumerate(path):
            if any(p[1] == stage for p in path[:i]):
                continue  # time is counted from the first entry
            later = next((a for a, s in path[i + 1:] if stage_rank(s) > stage_rank(stage)), None)
            if later is not None:
                durations[stage].append((_when(later) - _when(at)).total_seconds() / 86400)
    rows = []
    for i, stage in enumerate(STAGES):
        nxt = reached[STAGES[i + 1]] if i + 1 < len(STAGES) else None
        rows.append({"stage": stage, "records": current[stage], "reached": reached[stage],
                     "conversion_to_next": (round(nxt / reached[stage], 4)
                                            if nxt is not None and reached[stage] else None),
                     "median_days_in_stage": round(median(durations[stage]), 2) if durations[stage] else None})
    return rows


def meeting_rows(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per meeting: held if a side says it took place, no-show if every side that answered says not."""
    meetings: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        m = meetings.setdefault(o["meeting_key"], {"held": False, "answered": 0, "follow_ups": 0, "at": o["at"],
                                                   "ratings": []})
        m["held"] = m["held"] or o["held"]
        m["answered"] += 1
        m["follow_ups"] += 1 if o.get("follow_up") else 0
        m["at"] = min(m["at"], o["at"])
        if o.get("rating") is not None:
            m["ratings"].append(o["rating"])
    return meetings


def funnel(records: list[dict[str, Any]], histories: dict[str, list[dict[str, Any]]],
           outcomes: list[dict[str, Any]], requests: list[dict[str, Any]]) -> dict[str, Any]:
    meetings = meeting_rows(outcomes)
    ratings = [r for m in meetings.values() for r in m["ratings"]]
    agreements = Counter(r["agreement_type"] for r in records if r.get("agreement_type"))
    totals = {
        "meetings_requested": len(requests),
        "meetings_accepted": sum(1 for r in requests if r["status"] == "accepted"),
        "meetings_declined": sum(1 for r in requests if r["status"] == "declined"),
        "meetings_held": sum(1 for m in meetings.values() if m["held"]),
        "meetings_no_show": sum(1 for m in meetings.values() if not m["held"]),
        "follow_ups_intended": sum(m["follow_ups"] for m in meetings.values()),
        "mean_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "records": len(records),
        "agreements": sum(agreements.values()),
    }
    series: dict[str, Counter] = {k: Counter() for k in ("meetings_requested", "meetings_held", "meetings_no_show",
                                                         "records_opened", "agreements")}
    for r in requests:
        series["meetings_requested"][_month(r["created_at"])] += 1
    for m in meetings.values():
        series["meetings_held" if m["held"] else "meetings_no_show"][_month(m["at"])] += 1
    for r in records:
        series["records_opened"][_month(r["created_at"])] += 1
        if r.get("agreement_at"):
            series["agreements"][_month(r["agreement_at"])] += 1
    months = sorted({m for c in series.values() for m in c if m})
    return {
        "totals": totals,
        "stages": stage_rows(records, histories),
        "agreements_by_type": [{"type": t.value, "count": agreements[t.value]} for t in AgreementType],
        "series": {"months": months, **{k: [c[m] for m in months] for k, c in series.items()}},
    }


def safe_cell(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ (or a tab/CR) as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def funnel_csv(figures: dict[str, Any]) -> str:
    """Tidy rows (metric, dimension, period, value): one line per number, ready for any chart tool."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "metric", "dimension", "period", "value"])
    scope = figures["scope"]["label"]
    rows: list[list[Any]] = [[scope, k, "", "", v] for k, v in figures["totals"].items()]
    for row in figures["stages"]:
        rows += [[scope, f"stage_{k}", row["stage"], "", row[k]] for k in
                 ("records", "reached", "conversion_to_next", "median_days_in_stage")]
    rows += [[scope, "agreements_by_type", a["type"], "", a["count"]] for a in figures["agreements_by_type"]]
    months = figures["series"]["months"]
    for metric, values in figures["series"].items():
        if metric != "months":
            rows += [[scope, metric, "", month, v] for month, v in zip(months, values)]
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return out.getvalue()
