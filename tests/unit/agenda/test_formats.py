"""Loading and dumping the interchange files; every error names the faulty field."""
from __future__ import annotations

import copy
import json

import pytest

from service.agenda.formats import (
    dump_delta,
    dump_instance,
    dump_schedule,
    load_delta,
    load_instance,
    load_schedule,
)
from service.errors import InvalidRequestError
from tests.support.agenda_generate import generate_instance


def test_instance_round_trip(tiny_doc):
    assert dump_instance(load_instance(tiny_doc)) == tiny_doc
    assert dump_instance(load_instance(json.dumps(tiny_doc))) == tiny_doc


def test_generated_instance_round_trip():
    inst = generate_instance(60, 200, 12, 20, seed=3)
    doc = dump_instance(inst)
    assert dump_instance(load_instance(json.loads(json.dumps(doc)))) == doc


def test_extra_participant_fields_survive(tiny_doc):
    tiny_doc["participants"][0]["languages"] = ["fr", "en"]
    assert dump_instance(load_instance(tiny_doc))["participants"][0]["languages"] == ["fr", "en"]


def test_schedule_and_delta_round_trip():
    sched = {"format": "b2b-sched-schedule/1", "instance": "tiny",
             "meetings": [{"a": "A", "b": "B", "slot": 0, "table": 1, "confirmed": False}],
             "meta": {"solver": "x"}}
    assert dump_schedule(load_schedule(sched)) == sched
    sched["meetings"][0].pop("confirmed")
    assert load_schedule(sched).meetings[0].confirmed is True
    delta = {"format": "b2b-sched-delta/1", "name": "late", "base_instance": "tiny",
             "cancel_participants": ["B"], "add_participants": [], "add_requests": [],
             "update_requests": [{"id": "r1", "status": "declined"}]}
    assert dump_delta(load_delta(delta)) == delta


def _set(doc, path, value):
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    if value is KeyError:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value


@pytest.mark.parametrize("path,value,expected", [
    (("format",), "b2b-sched-instance/2", "format:"),
    (("num_tables",), "3", "num_tables:"),
    (("slots", 2, "id"), 7, "slots[2].id: 7 != index 2"),
    (("slots", 1, "end"), "2026-03-10T09:00", "slots[1]: start"),
    (("participants", 1, "availability", 0), [0, 9],
     "participants[1].availability[0]: end 9 > 4 slots"),
    (("participants", 1, "availability", 0), [3, 1], "participants[1].availability[0]: empty"),
    (("participants", 1, "availability", 0), [1], "participants[1].availability[0]"),
    (("participants", 0, "max_meetings"), -1, "participants[0].max_meetings:"),
    (("participants", 0, "fixed_table"), 2, "participants[2].fixed_table: table 2 already fixed"),
    (("participants", 3, "fixed_table"), 5, "participants[3].fixed_table: 5 >= 3 tables"),
    (("participants", 4, "id"), "A", "participants[4].id: duplicate id 'A'"),
    (("participants", 4, "id"), KeyError, "participants[4].id: Missing data"),
    (("requests", 3, "to"), "Z", "requests[3].to: unknown participant 'Z'"),
    (("requests", 3, "to"), "A", "requests[3]: request from a participant to itself"),
    (("requests", 3, "id"), "r1", "requests[3].id: duplicate id 'r1'"),
    (("requests", 0, "priority"), 4, "requests[0].priority:"),
    (("requests", 0, "created_at"), "yesterday", "requests[0].created_at: 'yesterday' is not"),
    (("requests", 0, "status"), "maybe", "requests[0].status:"),
    (("requests", 0, "from"), KeyError, "requests[0].from: Missing data"),
])
def test_instance_errors_name_the_field(tiny_doc, path, value, expected):
    _set(tiny_doc, path, value)
    with pytest.raises(InvalidRequestError) as exc:
        load_instance(tiny_doc)
    assert any(expected in e for e in exc.value.errors), exc.value.errors
    assert expected.split(":")[0] in exc.value.message


def test_not_json():
    with pytest.raises(InvalidRequestError, match="not JSON"):
        load_instance("{nope")


def test_schedule_errors_name_the_field():
    with pytest.raises(InvalidRequestError) as exc:
        load_schedule({"format": "b2b-sched-schedule/1", "instance": "x",
                       "meetings": [{"a": "A", "b": "B", "slot": "1", "table": 0}]})
    assert exc.value.errors == ["meetings[0].slot: Not a valid integer."]


def test_unknown_fields_are_ignored_with_a_warning(tiny_doc):
    doc = {**tiny_doc, "generator": {"tool": "EventBrite-B2B", "v": 3}, "exported": "2026-03-01"}
    doc["requests"][0]["comment"] = "vu au salon"
    doc["requests"][4]["comment"] = "déjà client"
    doc["slots"][1]["room"] = "Salle Rhône"
    inst = load_instance(doc)
    assert len(inst.requests) == 8
    assert inst.warnings == [
        "generator: unknown field, ignored", "exported: unknown field, ignored",
        "slots[1].room: unknown field, ignored",
        "requests[0].comment: unknown field, ignored (and 1 more requests)"]
    doc["requests"][2]["status"] = "maybe"
    with pytest.raises(InvalidRequestError) as err:
        load_instance(doc)
    assert err.value.errors == ["requests[2].status: Must be one of: accepted, pending, declined."]


def test_table_labels_round_trip_and_are_checked(tiny_doc):
    doc = {**tiny_doc, "table_labels": ["1", "2", "Booth Airbus"]}
    inst = load_instance(doc)
    assert inst.table_label(2) == "Booth Airbus" and inst.table_index("Booth Airbus") == 2
    assert dump_instance(inst)["table_labels"] == doc["table_labels"]
    assert load_instance(tiny_doc).table_label(0) == "1"
    with pytest.raises(InvalidRequestError, match="table_labels: 2 labels for 3 tables"):
        load_instance({**tiny_doc, "table_labels": ["A", "B"]})


def test_fixed_table_by_label_is_stored_as_the_index(tiny_doc):
    doc = {**copy.deepcopy(tiny_doc), "table_labels": ["Stand Airbus Hall 1", "T2", "Salle Garonne"]}
    doc["participants"][2]["fixed_table"] = "Salle Garonne"  # C, by label
    doc["participants"][0]["fixed_table"] = " Stand Airbus Hall 1 "  # A, spaces around
    inst = load_instance(doc)
    assert [p.fixed_table for p in inst.participants] == [0, None, 2, None, None]
    dumped = dump_instance(inst)  # files written keep the format's index
    assert [p["fixed_table"] for p in dumped["participants"]] == [0, None, 2, None, None]
    assert dump_instance(load_instance(dumped)) == dumped
    plain = copy.deepcopy(tiny_doc)
    plain["participants"][2]["fixed_table"] = "3"  # without table_labels, tables read 1, 2, 3
    assert load_instance(plain).participants[2].fixed_table == 2


@pytest.mark.parametrize("labels,fixed,expected", [
    (["A", "B", "C"], "Stand 9", "participants[2].fixed_table: no table labelled 'Stand 9' (labels: A, B, C)"),
    (None, "0", "participants[2].fixed_table: no table labelled '0' (labels: 1, 2, 3)"),
    (None, "", "participants[2].fixed_table: a table index (an integer from 0) or a table label"),
    (None, 1.5, "participants[2].fixed_table: a table index (an integer from 0) or a table label"),
    (None, -1, "participants[2].fixed_table: Must be greater than or equal to 0."),
    (["A", 2, "C"], 2, "table_labels[1]: Not a valid string."),
    ("A, B, C", 2, "table_labels: Not a valid list."),
    (["A", "A", "C"], 2, "table_labels: duplicate labels ['A']"),
    (["A", "", "C"], 2, "table_labels[1]: Length must be between 1 and 80."),
])
def test_table_labels_and_fixed_table_errors_name_the_path(tiny_doc, labels, fixed, expected):
    doc = copy.deepcopy(tiny_doc)
    if labels is not None:
        doc["table_labels"] = labels
    doc["participants"][2]["fixed_table"] = fixed
    with pytest.raises(InvalidRequestError) as err:
        load_instance(doc)
    assert any(e.startswith(expected) for e in err.value.errors), err.value.errors
