"""The `maillon` command line: ingest exit codes, match table, agenda solve with late changes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexers.cli import main
from service.agenda.formats import dump_delta, dump_instance, dump_schedule, dumps, load_schedule
from service.agenda.solver import solve
from tests.support.agenda_generate import generate_delta, generate_instance

DATA = Path(__file__).parent.parent / "data"


def run(*args: str):
    return CliRunner().invoke(main, list(args), obj={}, catch_exceptions=False)


@pytest.mark.model
def test_ingest_exit_codes_and_match_table(tmp_path, monkeypatch, embedder) -> None:
    monkeypatch.setenv("MAILLON_MODEL", embedder.name)
    data_dir = str(tmp_path / "d")
    ok = run("--data-dir", data_dir, "ingest", "clusters", str(DATA / "match_clusters.jsonl"))
    assert ok.exit_code == 0, ok.output
    assert "5 new" in ok.output
    partial = run("--data-dir", data_dir, "ingest", "members", str(DATA / "members_bad.csv"))
    assert partial.exit_code == 1
    assert "members_bad.csv row 3: country: unknown country 'Atlantis'" in partial.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert run("--data-dir", data_dir, "ingest", "members", str(empty)).exit_code == 2
    # A file that cannot be read does not stop the files after it on the same command line.
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "cli-1", "name": "Atelier Nord", "country": "FR", "sector": "aeronautics", '
                    '"description": "Usinage de pièces aéronautiques en titane"}\n')
    several = run("--data-dir", data_dir, "ingest", "members", str(empty), str(tmp_path / "broken.xlsx"), str(good))
    assert several.exit_code == 2 and "good.jsonl: 1 read, 1 new" in several.output, several.output
    table = run("--data-dir", data_dir, "match", "--cluster", "t-fr-aero", "--limit", "3")
    assert table.exit_code == 0
    assert " 1. " in table.output and "Oberflächen Netzwerk Süd" in table.output and "fills" in table.output
    as_json = json.loads(run("--data-dir", data_dir, "match", "--text", "anodisation aluminium",
                             "--target", "clusters", "--json").output)
    assert as_json["items"]
    # Country names are read as the API reads them: "Deutschland", "Germany" and "DE" are one country.
    for spelling in ("DE", "Germany", "Deutschland", "allemagne"):
        named = json.loads(run("--data-dir", data_dir, "match", "--text", "anodisation aluminium",
                               "--target", "clusters", "--in", spelling, "--json").output)
        assert named["items"] and {m["country"] for m in named["items"]} == {"DE"}, spelling
    unknown = run("--data-dir", data_dir, "match", "--text", "anodisation", "--in", "Atlantis")
    assert unknown.exit_code == 2 and "--in" in unknown.output
    teams = run("--data-dir", data_dir, "match", "--cluster", "t-fr-aero", "--consortium")
    assert teams.exit_code == 0, teams.output
    assert "partner" in teams.output and "covers" in teams.output and not teams.output.lstrip().startswith("{")


def test_agenda_solve_and_late_changes(tmp_path) -> None:
    instance = generate_instance(60, 240, 12, 20, seed=7)
    event = tmp_path / "event.json"
    event.write_text(dumps(dump_instance(instance)))
    agenda0 = tmp_path / "agenda0.json"
    result = run("agenda", "solve", str(event), "-o", str(agenda0), "--time-limit", "10", "--quiet")
    assert result.exit_code == 0, result.output
    base = load_schedule(agenda0.read_text())
    assert base.meetings and json.loads(agenda0.read_text())["format"] == "b2b-sched-schedule/1"
    delta = tmp_path / "delta.json"
    delta.write_text(dumps(dump_delta(generate_delta(instance, base, seed=3))))
    agenda1 = tmp_path / "agenda1.json"
    again = run("agenda", "solve", str(event), "--delta", str(delta), "--base", str(agenda0),
                "-o", str(agenda1), "--time-limit", "10", "--quiet")
    assert again.exit_code == 0, again.output
    check = run("agenda", "validate", str(event), str(agenda1), "--delta", str(delta), "--base", str(agenda0))
    assert check.exit_code == 0, check.output


def test_agenda_invalid_file_is_named(tmp_path) -> None:
    doc = dump_instance(generate_instance(10, 20, 6, 4, seed=1))
    doc["participants"][2]["availability"] = [[0, 99]]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = run("agenda", "solve", str(bad), "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2
    assert "bad.json" in result.output and "participants[2].availability" in result.output
    assert run("agenda", "solve", str(bad), "-o", "x", "--delta", str(bad)).exit_code == 2  # --delta needs --base


def test_agenda_validate_reports_violations(tmp_path) -> None:
    instance = generate_instance(10, 30, 6, 4, seed=2)
    schedule = solve(instance, time_limit_s=5)
    doc = dump_schedule(schedule)
    doc["meetings"].append(dict(doc["meetings"][0]))  # the same pair twice, same slot
    event, agenda = tmp_path / "e.json", tmp_path / "a.json"
    event.write_text(dumps(dump_instance(instance)))
    agenda.write_text(json.dumps(doc))
    result = run("agenda", "validate", str(event), str(agenda))
    assert result.exit_code == 1 and "rule" in result.output


def test_agenda_foreign_export_warns_and_shows_labels(tmp_path) -> None:
    salon = DATA / "agenda" / "salon-export.json"
    out = tmp_path / "salon-agenda.json"
    solved = run("agenda", "solve", str(salon), "-o", str(out), "--quiet")
    assert solved.exit_code == 0, solved.output
    assert "warning: " in solved.stderr and "generator: unknown field, ignored" in solved.stderr
    shown = run("agenda", "show", str(salon), str(out), "--participant", "HEX-01")
    assert shown.exit_code == 0
    lines = [line for line in shown.output.splitlines() if "Table" in line]
    assert len(lines) == 2 and all("Table Stand Hexcel B12" in line for line in lines)
    assert {"Faserwerk Süd GmbH" in shown.output, "Laminados Ibéricos SL" in shown.output} == {True}
