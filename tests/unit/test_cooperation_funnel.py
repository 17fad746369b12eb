"""Funnel figures from hand-written records: stages reached, conversion, median time, CSV cells."""
from __future__ import annotations

import csv
import io

import pytest

from service.cooperation.funnel import funnel, funnel_csv, safe_cell, stage_rows


def _h(at: str, to: str, action: str = "stage") -> dict:
    return {"at": at, "action": action, "to_stage": to}


RECORDS = [
    {"id": "a", "stage": "first_agreement", "created_at": "2026-01-05T10:00:00Z", "agreement_type": "licence",
     "agreement_at": "2026-04-01T09:00:00Z"},
    {"id": "b", "stage": "contact", "created_at": "2026-02-11T08:30:00Z"},
    {"id": "c", "stage": "identification", "created_at": "2026-02-20T16:00:00Z"},
]
HISTORY = {
    # a: identification → contact (10 days) → b2b (skips nothing) → agreement
    "a": [_h("2026-01-05T10:00:00Z", "identification", "created"), _h("2026-01-15T10:00:00Z", "contact"),
          _h("2026-02-15T10:00:00Z", "b2b_meetings", "stage_from_answer"),
          _h("2026-04-01T09:00:00Z", "first_agreement")],
    # b: opened at validation, skipped forward to b2b, moved back to contact
    "b": [_h("2026-02-11T08:30:00Z", "validation", "created"), _h("2026-02-13T08:30:00Z", "b2b_meetings"),
          _h("2026-02-20T08:30:00Z", "contact")],
    "c": [_h("2026-02-20T16:00:00Z", "identification", "created"), {"at": "2026-02-21T00:00:00Z", "action": "note"}],
}


def test_stage_rows_count_reached_stages_and_time_spent() -> None:
    rows = {r["stage"]: r for r in stage_rows(RECORDS, HISTORY)}
    assert [rows[s]["records"] for s in ("identification", "contact", "first_agreement")] == [1, 1, 1]
    # b went up to b2b_meetings before moving back: it counts as having reached it
    assert rows["b2b_meetings"]["reached"] == 2 and rows["first_agreement"]["reached"] == 1
    assert rows["identification"]["reached"] == 3
    assert rows["identification"]["conversion_to_next"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows["b2b_meetings"]["conversion_to_next"] == 0.5
    assert rows["identification"]["median_days_in_stage"] == 10.0  # only a moved forward from it
    assert rows["validation"]["median_days_in_stage"] == 2.0
    assert rows["alliance"]["conversion_to_next"] is None and rows["alliance"]["reached"] == 0


def test_funnel_totals_and_monthly_series() -> None:
    requests = [{"status": s, "created_at": f"2026-0{m}-02T09:00:00Z"}
                for s, m in (("accepted", 1), ("declined", 1), ("pending", 2), ("accepted", 2))]
    outcomes = [
        {"meeting_key": "ev/r1", "held": True, "rating": 4, "follow_up": True, "at": "2026-02-15T10:00:00Z"},
        {"meeting_key": "ev/r1", "held": True, "rating": 2, "follow_up": False, "at": "2026-02-16T10:00:00Z"},
        {"meeting_key": "ev/r2", "held": False, "rating": None, "follow_up": None, "at": "2026-02-16T11:00:00Z"},
    ]
    fig = funnel(RECORDS, HISTORY, outcomes, requests)
    assert fig["totals"] == {"meetings_requested": 4, "meetings_accepted": 2, "meetings_declined": 1,
                             "meetings_held": 1, "meetings_no_show": 1, "follow_ups_intended": 1, "mean_rating": 3.0,
                             "records": 3, "agreements": 1}
    assert fig["series"]["months"] == ["2026-01", "2026-02", "2026-04"]
    assert fig["series"]["meetings_requested"] == [2, 2, 0]
    assert fig["series"]["meetings_no_show"] == [0, 1, 0]
    assert fig["series"]["agreements"] == [0, 0, 1]
    assert {a["type"]: a["count"] for a in fig["agreements_by_type"]}["licence"] == 1


@pytest.mark.parametrize(("value", "expected"), [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+33 1 23", "'+33 1 23"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Clúster Meseta", "Clúster Meseta"), (5, 5), (-0.5, -0.5)])
def test_csv_cells_cannot_run_formulas(value, expected) -> None:
    assert safe_cell(value) == expected


def test_csv_is_tidy_and_neutralised() -> None:
    fig = {"scope": {"label": "=evil()"}, **funnel(RECORDS, HISTORY, [], [])}
    rows = list(csv.reader(io.StringIO(funnel_csv(fig))))
    assert rows[0] == ["scope", "metric", "dimension", "period", "value"]
    assert all(r[0] == "'=evil()" for r in rows[1:])
    assert ["'=evil()", "stage_reached", "contact", "", "2"] in rows
    assert ["'=evil()", "records_opened", "", "2026-02", "2"] in rows
