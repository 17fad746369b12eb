"""Readers yielding raw profile records with their location (file, row or line) from CSV, JSON,
JSON Lines and XLSX files."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import fields

from service.errors import InvalidRequestError
from service.profile_schemas import ClusterSchema, MemberSchema

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}


@dataclass
class SourceRecord:
    locator: str  # "members.csv row 12", "members.jsonl line 7", "clusters.json [3]"
    data: dict[str, Any] | None
    error: str | None = None


def detect_format(path: Path, declared: str | None = None) -> str:
    fmt = declared or FORMATS.get(path.suffix.lower())
    if fmt not in FORMATS.values():
        raise InvalidRequestError(
            f"{path.name}: unknown file type {path.suffix!r}; use .csv, .json, .jsonl or .xlsx")
    return fmt


def read_records(path: Path, kind: str, fmt: str | None = None, name: str | None = None) -> Iterator[SourceRecord]:
    """Yield every record of the file; a record that cannot be read carries `error` instead."""
    fmt = detect_format(path, fmt)
    name = name or path.name
    raw = path.read_bytes()
    if not raw.strip():
        raise InvalidRequestError(f"{name}: the file is empty", [{"locator": name, "field": "_file", "message": "empty file"}])
    if fmt == "xlsx":
        yield from _xlsx(path, kind, name)
        return
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    if fmt == "jsonl":
        yield from _jsonl(text, name)
    elif fmt == "json":
        yield from _json(text, kind, name)
    else:
        yield from _csv(text, kind, name)


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


def _csv(text: str, kind: str, name: str) -> Iterator[SourceRecord]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise InvalidRequestError(f"{name}: no header row")
    for row in reader:
        locator = f"{name} row {reader.line_num}"
        yield _cells_to_record(locator, row, kind)


def _xlsx(path: Path, kind: str, name: str) -> Iterator[SourceRecord]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InvalidRequestError(f"{name}: not a readable XLSX workbook ({exc})") from exc
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    for number, values in enumerate(rows, 2):
        if all(v is None for v in values):
            continue
        cells = {h: ("" if v is None else str(v)) for h, v in zip(header, values) if h}
        yield _cells_to_record(f"{name} row {number}", cells, kind)


def _cells_to_record(locator: str, row: dict[str | None, Any], kind: str) -> SourceRecord:
    if None in row:  # csv puts surplus cells under the None key
        return SourceRecord(locator, None, f"{len(row[None])} more cells than header columns")
    for value in row.values():
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
