"""Register an event's participants from a CSV or XLSX sheet: each row is validated by the API's
ParticipantSchema and registered through EventService (same Guard); a bad row is reported by its
row number and field, and every good row still lands."""
from __future__ import annotations

import csv
import io
from typing import IO, Any

from marshmallow import ValidationError

from service.errors import InvalidRequestError, ServiceError
from service.events.schemas import ParticipantSchema
from service.profile_schemas import flatten_errors

MAX_ROWS = 5000
CONTACT_COLUMNS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone", "email": "email",
                   "phone": "phone", "contact_e_mail": "email", "e_mail": "email", "contact": "name"}
INT_COLUMNS = ("max_meetings", "fixed_table")


def _rows_csv(raw: bytes) -> list[dict[str, Any]]:
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def _rows_xlsx(raw: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidRequestError(f"not a readable XLSX workbook: {exc}", {"file": ["unreadable"]}) from exc
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    return [dict(zip(header, r)) for r in rows if any(v not in (None, "") for v in r)]


def read_rows(filename: str, stream: IO[bytes]) -> list[dict[str, Any]]:
    raw = stream.read()
    if not raw.strip():
        raise InvalidRequestError(f"file {filename!r} is empty", {"file": ["empty file"]})
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        rows = _rows_xlsx(raw)
    elif name.endswith(".csv"):
        rows = _rows_csv(raw)
    else:
        raise InvalidRequestError(f"file {filename!r}: use .csv or .xlsx", {"file": ["unsupported file type"]})
    if len(rows) > MAX_ROWS:
        raise InvalidRequestError(f"{len(rows)} rows > {MAX_ROWS}", {"file": ["too many rows"]})
    return rows


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """A sheet row as a ParticipantSchema record: header names folded, contact columns nested."""
    record: dict[str, Any] = {}
    contact: dict[str, Any] = {}
    for key, value in row.items():
        name = str(key or "").strip().lower().replace(" ", "_").replace("-", "_")
        value = value.strip() if isinstance(value, str) else value
        if value in (None, "") or not name:
            continue
        if name in CONTACT_COLUMNS:
            contact[CONTACT_COLUMNS[name]] = str(value)
        elif name in INT_COLUMNS and isinstance(value, float) and value.is_integer():
            record[name] = int(value)
        else:
            record[name] = value if name in INT_COLUMNS else str(value)
    if contact:
        record["contact"] = contact
    return record


def import_participants(events: Any, event_id: str, filename: str, stream: IO[bytes]) -> dict[str, Any]:
    events.guard.check_event_manage(events.event(event_id))
    rows = read_rows(filename, stream)
    schema = ParticipantSchema()
    report: dict[str, Any] = {"file": filename, "rows": len(rows), "registered": [], "errors": []}
    for number, row in enumerate(rows, 2):  # row 1 is the header
        try:
            doc = events.register(event_id, schema.load(_record(row)))
        except ValidationError as exc:
            report["errors"] += [{"row": number, **e} for e in flatten_errors(exc.messages)]
        except ServiceError as exc:
            fields = exc.errors if isinstance(exc.errors, dict) else {}
            report["errors"] += [{"row": number, "field": f, "message": exc.message} for f in fields] or \
                [{"row": number, "field": "_row", "message": exc.message}]
        else:
            report["registered"].append({"row": number, "id": doc["id"], "name": doc.get("name")})
    return report
