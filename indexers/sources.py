"""Readers yielding raw profile records with their location (file, row or line) from CSV, JSON,
JSON Lines and XLSX files."""
from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import fields

from service.errors import InvalidRequestError
from service.profile_schemas import ClusterSchema, MemberSchema

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
DELIMITERS = (",", ";", "\t")
MAX_RECORDS = 200_000  # as config/limits.yaml records_per_file; callers pass the configured one
CELL_MAX_CHARS = 64 * 1024  # no field of a profile is longer; a bigger cell is a broken row
CSV_FIELD_LIMIT = 1 << 30  # csv's own limit, lifted: cells are checked per row instead
XLSX_MAX_INFLATED_BYTES = 256 * 2**20
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 8 * 2**20  # small archives may compress well; they cost little anyway
XLSX_MAX_COLUMNS = 500


@dataclass
class SourceRecord:
    locator: str  # "members.csv row 12", "members.jsonl line 7", "clusters.json [3]"
    data: dict[str, Any] | None
    error: str | None = None
    field: str = "_record"  # where the error is, when one column is to blame


def detect_format(path: Path, declared: str | None = None) -> str:
    fmt = declared or FORMATS.get(path.suffix.lower())
    if fmt not in FORMATS.values():
        raise InvalidRequestError(
            f"{path.name}: unknown file type {path.suffix!r}; use .csv, .json, .jsonl or .xlsx")
    return fmt


def read_records(path: Path, kind: str, fmt: str | None = None, name: str | None = None,
                 max_records: int = MAX_RECORDS) -> Iterator[SourceRecord]:
    """Yield every record of the file; a record that cannot be read carries `error` instead.
    A file that cannot be read at all raises InvalidRequestError once, with the reason."""
    fmt = detect_format(path, fmt)
    name = name or path.name
    if fmt == "xlsx":
        yield from _xlsx(path, kind, name, max_records)
        return
    # JSON is UTF-8 by definition (RFC 8259): only spreadsheets' CSV gets the legacy guess.
    text = decode(path.read_bytes(), name, legacy=fmt == "csv")
    if not text.strip():
        raise InvalidRequestError(f"{name}: the file is empty",
                                  [{"locator": name, "field": "_file", "message": "empty file"}])
    if fmt == "jsonl":
        yield from _jsonl(text, name)
    elif fmt == "json":
        yield from _json(text, kind, name)
    else:
        yield from _csv(text, kind, name)


def decode(raw: bytes, name: str, legacy: bool = True) -> str:
    """Text of a file saved by any common tool: a BOM decides (UTF-8, UTF-16, UTF-32); else
    UTF-8; else UTF-16 without BOM (NUL every other byte); else, when no byte sequence is
    UTF-8 at all, Windows-1252 (what Excel saves as "CSV"). A file mixing UTF-8 with a few bad
    bytes stays UTF-8 and those rows are reported. Binary content is refused."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InvalidRequestError(f"{name}: starts with a {encoding} byte-order mark but is not "
                                          f"valid {encoding} (byte {exc.start})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = _guess(raw, name, legacy)
    if "\x00" in text:
        raise InvalidRequestError(f"{name}: binary content (NUL bytes), not a text file; "
                                  "save it as CSV (UTF-8) or JSON")
    return text


def _guess(raw: bytes, name: str, legacy: bool) -> str:
    sample = raw[:4096]
    half = max(1, len(sample) // 2)
    if sample[1::2].count(0) > half * 0.3:
        return _strict(raw, "utf-16-le", name)
    if sample[0::2].count(0) > half * 0.3:
        return _strict(raw, "utf-16-be", name)
    text = raw.decode("utf-8", errors="surrogateescape")
    if not legacy or any(ord(ch) > 0x7F and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        return text  # real UTF-8 with a few bad bytes: those rows get located errors
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _strict(raw: bytes, encoding: str, name: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidRequestError(f"{name}: looks like {encoding} but byte {exc.start} is not valid") from exc


def _bad_encoding(text: str) -> str | None:
    for col, char in enumerate(text, 1):
        if "\udc80" <= char <= "\udcff":
            byte = ord(char) - 0xDC00
            return f"not valid UTF-8 (byte 0x{byte:02x} at column {col}); save the file as UTF-8"
    return None


def _jsonl(text: str, name: str) -> Iterator[SourceRecord]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        locator = f"{name} line {number}"
        if problem := _bad_encoding(line):
            yield SourceRecord(locator, None, problem)
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceRecord(locator, None, f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        yield _as_record(locator, value)


def _json(text: str, kind: str, name: str) -> Iterator[SourceRecord]:
    if problem := _bad_encoding(text):
        raise InvalidRequestError(f"{name}: {problem}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"{name}: malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if isinstance(value, dict) and isinstance(value.get(kind), list):
        value = value[kind]
    if not isinstance(value, list):
        raise InvalidRequestError(f"{name}: expected a JSON array of records or {{\"{kind}\": [...]}}")
    for i, item in enumerate(value):
        yield _as_record(f"{name} [{i}]", item)


def _as_record(locator: str, value: Any) -> SourceRecord:
    if not isinstance(value, dict):
        return SourceRecord(locator, None, f"expected a JSON object, got {type(value).__name__}")
    return SourceRecord(locator, value)


def sniff_delimiter(text: str) -> str:
    """`,`, `;` (what a French or German Excel saves) or tab: the one splitting the header
    line into the most columns."""
    header = next(iter(text.splitlines()), "")
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([header], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _csv(text: str, kind: str, name: str) -> Iterator[SourceRecord]:
    # Cells are bounded below (CELL_MAX_CHARS, per row and field): never by csv's own limit,
    # whose error would end the whole file.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        if not reader.fieldnames:
            raise InvalidRequestError(f"{name}: no header row")
        for row in reader:
            locator = f"{name} row {reader.line_num}"
            yield _cells_to_record(locator, row, kind)
    except csv.Error as exc:
        raise InvalidRequestError(f"{name}: unreadable CSV after row {reader.line_num}: {exc}") from exc


def _xlsx(path: Path, kind: str, name: str, max_records: int) -> Iterator[SourceRecord]:
    """Streamed (read-only) with its limits checked first: the inflated size of the archive
    before anything is parsed, then rows and columns as they come."""
    from openpyxl import load_workbook

    check_xlsx_archive(path, name)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InvalidRequestError(f"{name}: not a readable XLSX workbook ({exc})") from exc
    try:
        declared = sheet.max_row or 0  # the <dimension> element: free to read, may be absent
        if declared - 1 > max_records:
            raise InvalidRequestError(f"{name}: {declared - 1} rows > the limit of {max_records} records per file")
        rows = sheet.iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS + 1)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        while header and not header[-1]:
            header.pop()
        if len(header) > XLSX_MAX_COLUMNS:
            raise InvalidRequestError(f"{name}: more than {XLSX_MAX_COLUMNS} columns")
        count = 0
        for number, values in enumerate(rows, 2):
            if all(v is None for v in values):
                continue
            count += 1
            if count > max_records:
                raise InvalidRequestError(f"{name}: more than {max_records} records (the limit per file)")
            cells = {h: ("" if v is None else str(v)) for h, v in zip(header, values) if h}
            yield _cells_to_record(f"{name} row {number}", cells, kind)
    finally:
        book.close()


def check_xlsx_archive(path: Path, name: str) -> None:
    """Refuse a zip bomb before it is opened: total inflated size and compression ratio."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidRequestError(f"{name}: not a readable XLSX workbook (not a zip archive: {exc})") from exc
    inflated = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if inflated > XLSX_MAX_INFLATED_BYTES:
        raise InvalidRequestError(f"{name}: inflates to {inflated / 2**20:.0f} MiB > the limit of "
                                  f"{XLSX_MAX_INFLATED_BYTES / 2**20:.0f} MiB; split the file or save it as CSV")
    if inflated > XLSX_RATIO_FROM_BYTES and inflated / packed > XLSX_MAX_RATIO:
        raise InvalidRequestError(f"{name}: compressed {inflated / packed:.0f}:1 (limit {XLSX_MAX_RATIO}:1), "
                                  "which real spreadsheets never are; refused as a zip bomb")


def _cells_to_record(locator: str, row: dict[str | None, Any], kind: str) -> SourceRecord:
    if None in row:  # csv puts surplus cells under the None key
        return SourceRecord(locator, None, f"{len(row[None])} more cells than header columns")
    for key, value in row.items():
        if isinstance(value, str) and len(value) > CELL_MAX_CHARS:
            return SourceRecord(locator, None, f"column {key!r}: cell of {len(value)} characters > the limit of "
                                               f"{CELL_MAX_CHARS}", field=str(key))
        if isinstance(value, str) and (problem := _bad_encoding(value)):
            return SourceRecord(locator, None, problem)
    schema_fields = (ClusterSchema if kind == "clusters" else MemberSchema)._declared_fields
    record: dict[str, Any] = {}
    try:
        for key, cell in row.items():
            key = (key or "").strip()
            cell = (cell or "").strip() if isinstance(cell, str) else cell
            if cell in ("", None):
                continue
            record[key] = _cell_value(key, cell, schema_fields.get(key))
    except ValueError as exc:
        return SourceRecord(locator, None, str(exc))
    return SourceRecord(locator, record)


def _cell_value(key: str, cell: str, field: fields.Field | None) -> Any:
    """Spreadsheet cells: lists split on ';', nested values as JSON or a short form."""
    if cell[:1] in "[{":
        try:
            return json.loads(cell)
        except json.JSONDecodeError as exc:
            raise ValueError(f"column {key!r}: malformed JSON: {exc.msg}") from exc
    if key == "value_chain":  # "machining=strong; surface_treatment=missing*" (* = strategic)
        links = []
        for part in filter(None, (p.strip() for p in cell.split(";"))):
            link, _, status = part.partition("=")
            links.append({"link": link.strip(), "status": status.strip().rstrip("*").strip(),
                          "strategic": status.strip().endswith("*")})
        return links
    if key in ("offers", "requests"):  # "product: text | service: text"
        items = []
        for part in filter(None, (p.strip() for p in cell.split("|"))):
            kind, sep, text = part.partition(":")
            if not sep:
                raise ValueError(f"column {key!r}: write 'type: text', items separated by '|'")
            items.append({"type": kind.strip(), "text": text.strip()})
        return items
    if isinstance(field, fields.List):
        return [p.strip() for p in cell.split(";") if p.strip()]
    return cell
