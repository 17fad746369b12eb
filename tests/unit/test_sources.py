from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexers.sources import read_records
from service.errors import InvalidRequestError


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_csv_lists_and_short_forms(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "id,name,country,sector,languages,value_chain,offers\n"
                 "a,A,FR,aeronautics,fr; en,machining=strong; surface_treatment=missing*,"
                 "product: tubes | service: testing\n")
    (record,) = read_records(path, "clusters")
    assert record.locator == "c.csv row 2"
    assert record.data["languages"] == ["fr", "en"]
    assert record.data["value_chain"][1] == {"link": "surface_treatment", "status": "missing", "strategic": True}
    assert record.data["offers"] == [{"type": "product", "text": "tubes"}, {"type": "service", "text": "testing"}]


def test_csv_json_cells_and_bad_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", 'id,name,offers\n'
                 'a,A,"[{""type"": ""product"", ""text"": ""tubes""}]"\n'
                 'b,B,"[{broken"\n'
                 'c,C,x,surplus\n')
    records = list(read_records(path, "members"))
    assert records[0].data["offers"][0]["text"] == "tubes"
    assert "malformed JSON" in records[1].error and records[1].locator == "m.csv row 3"
    assert "more cells than header" in records[2].error


def test_jsonl_reports_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "m.jsonl", '{"id": "a"}\n\n{"id": \n[1, 2]\n')
    records = list(read_records(path, "members"))
    assert [r.locator for r in records] == ["m.jsonl line 1", "m.jsonl line 3", "m.jsonl line 4"]
    assert records[0].data == {"id": "a"}
    assert "malformed JSON" in records[1].error
    assert "expected a JSON object" in records[2].error


def test_json_array_or_wrapped(tmp_path: Path) -> None:
    wrapped = write(tmp_path, "w.json", json.dumps({"clusters": [{"id": "a"}, {"id": "b"}]}))
    assert [r.locator for r in read_records(wrapped, "clusters")] == ["w.json [0]", "w.json [1]"]
    with pytest.raises(InvalidRequestError, match="malformed JSON"):
        list(read_records(write(tmp_path, "bad.json", "[{"), "clusters"))


def test_wrong_encoding_is_located_and_other_lines_survive(tmp_path: Path) -> None:
    content = b'{"id": "a", "name": "ok"}\n' + '{"id": "b", "name": "Société"}\n'.encode("latin-1")
    records = list(read_records(write(tmp_path, "m.jsonl", content), "members"))
    assert records[0].data == {"id": "a", "name": "ok"}
    assert records[1].locator == "m.jsonl line 2"
    assert "not valid UTF-8 (byte 0xe9" in records[1].error


def test_cp1252_csv_is_detected(tmp_path: Path) -> None:
    content = b"id,name\na,ok\n" + "b,Société Générale – Zürich €\n".encode("cp1252")
    records = list(read_records(write(tmp_path, "m.csv", content), "members"))
    assert records[1].data == {"id": "b", "name": "Société Générale – Zürich €"}


def test_utf8_with_a_few_bad_bytes_reports_those_rows(tmp_path: Path) -> None:
    content = "id,name\na,Société\n".encode() + "b,Müller\n".encode("latin-1") + "c,Ørsted\n".encode()
    records = list(read_records(write(tmp_path, "m.csv", content), "members"))
    assert records[0].data["name"] == "Société" and records[2].data["name"] == "Ørsted"
    assert "not valid UTF-8" in records[1].error and records[1].locator == "m.csv row 3"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_encodings_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    text = 'id;name;languages\r\nfr-1;Crème & Cie;"fr; en"\r\nde-2;Größe GmbH;de\r\n'
    records = list(read_records(write(tmp_path, "m.csv", text.encode(encoding)), "members"))
    assert [r.data["name"] for r in records] == ["Crème & Cie", "Größe GmbH"], [r.error for r in records]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    rows = [["id", "name", "description"], ["a", "Atelier", "usinage, tournage; fraisage"]]
    text = "\n".join(delimiter.join(f'"{c}"' for c in row) for row in rows) + "\n"
    (record,) = read_records(write(tmp_path, "m.csv", text), "members")
    assert record.data == {"id": "a", "name": "Atelier", "description": "usinage, tournage; fraisage"}


def test_oversized_cell_is_reported_and_other_rows_land(tmp_path: Path) -> None:
    big = "x" * (200 * 1024)
    text = f"id,name,description\na,A,short\nb,B,{big}\nc,C,fine\n"
    records = list(read_records(write(tmp_path, "m.csv", text), "members"))
    assert [r.data["id"] for r in records if r.data] == ["a", "c"]
    assert records[1].field == "description" and "204800 characters" in records[1].error


def test_binary_file_refused_once(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="binary content"):
        list(read_records(write(tmp_path, "m.csv", b"id,name\n\x00\x01\x02\x00\x00\x00\xff\x00"), "members"))


def test_xlsx_zip_bomb_refused_before_parsing(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row>" + "<c><v>1</v></c>" * 2_000_000 + "</row>")
    with pytest.raises(InvalidRequestError, match="zip bomb|inflates"):
        list(read_records(path, "members"))


def test_xlsx_row_limit(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["id", "name"])
    for n in range(30):
        sheet.append([f"m{n}", f"M {n}"])
    path = tmp_path / "m.xlsx"
    book.save(path)
    with pytest.raises(InvalidRequestError, match="30 rows > the limit of 10|more than 10 records"):
        list(read_records(path, "members", max_records=10))


@pytest.mark.parametrize("name", ["e.csv", "e.jsonl", "e.json"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidRequestError, match="empty"):
        list(read_records(write(tmp_path, name, "  \n"), "members"))


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="unknown file type"):
        list(read_records(write(tmp_path, "m.txt", "x"), "members"))


def test_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "name", "languages"])
    sheet.append(["a", "A", "fr;de"])
    sheet.append([None, None, None])
    sheet.append(["b", "B", None])
    path = tmp_path / "m.xlsx"
    book.save(path)
    records = list(read_records(path, "members"))
    assert [r.locator for r in records] == ["m.xlsx row 2", "m.xlsx row 4"]
    assert records[0].data["languages"] == ["fr", "de"]
