"""Printing the same agenda again is served from the per-process cache; any change prints anew."""
from __future__ import annotations

import copy

from service.agenda_pdf import tables_pdf

EVENT = {"id": "salon-lyon", "title": "Rencontres Lyon Plasturgie", "days": ["2027-05-04"], "timezone": "Europe/Paris",
         "breaks": [{"start": "10:30", "end": "10:45"}]}
SHEETS = [{"table": 1, "rows": [{"start": "2027-05-04T09:00", "end": "2027-05-04T09:20", "a": "Plastiques Rhône SAS",
                                 "b": "Kunststoff Jäger GmbH"}]}]
LABELS = {"time": "Heure", "table": "Table", "with": "Avec", "country": "Pays", "break": "Pause"}


def test_same_input_same_pdf_and_a_change_makes_a_new_one() -> None:
    first = tables_pdf(EVENT, SHEETS, LABELS)
    assert first[:5] == b"%PDF-"
    assert tables_pdf(copy.deepcopy(EVENT), copy.deepcopy(SHEETS), dict(LABELS)) is first  # equal content: cached
    renamed = copy.deepcopy(SHEETS)
    renamed[0]["rows"][0]["b"] = "Kunststoff Jäger AG"
    other = tables_pdf(EVENT, renamed, LABELS)
    assert other is not first and other[:5] == b"%PDF-"
    assert tables_pdf(EVENT, SHEETS, {**LABELS, "break": "Break"}) is not first  # another language
