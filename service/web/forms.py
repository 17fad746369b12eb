"""Parse HTML forms into the plain records the marshmallow schemas validate (no validation here:
the schemas say what is wrong, and the page shows it next to the field)."""
from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from service.vocab import OfferType, RequestType, Visibility

TEXT = ("name", "country", "region", "city", "sector", "description", "language", "size_band")
LISTS = ("languages", "markets", "target_markets", "certifications", "nace")  # comma separated
LINES = ("competences",)  # one per line
CHOICES = ("cooperation_types", "value_chain_links")  # checkboxes
ITEMS = ("offers", "requests")
# Fields whose visibility the owner sets (the rest are public by nature: id, name, country, sector).
VISIBLE_FIELDS = ("description", "offers", "requests", "markets", "target_markets", "competences",
                  "certifications", "contact", "value_chain_links")
BLANK_ROWS = 2


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in re.split(sep, text or "") if part.strip()]


def member_record(form: MultiDict[str, str]) -> dict[str, Any]:
    """The member profile fields of the form, shaped like one record of a JSON file."""
    record: dict[str, Any] = {k: form.get(k, "").strip() for k in TEXT}
    for key in LISTS:
        record[key] = _split(form.get(key, ""), r"[,;]")
    for key in LINES:
        record[key] = _split(form.get(key, ""), r"[\r\n]+")
    for key in CHOICES:
        record[key] = form.getlist(key)
    for key in ITEMS:
        rows = []
        for i in range(int(form.get(f"{key}-count", "0") or 0)):
            row = {f: form.get(f"{key}-{i}-{f}", "").strip() for f in ("type", "link", "text")}
            if row["text"] or row["link"]:  # an empty row is no item
                rows.append({**row, "link": row["link"] or None})
        record[key] = rows
    contact = {f: form.get(f"contact-{f}", "").strip() or None for f in ("name", "email", "phone")}
    record["contact"] = contact if any(contact.values()) else None
    record["visibility"] = {f: form[f"visibility-{f}"] for f in VISIBLE_FIELDS if form.get(f"visibility-{f}")}
    return record


def member_form(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored profile as the form's initial values."""
    values = {k: doc.get(k) or "" for k in TEXT}
    for key in LISTS:
        values[key] = ", ".join(doc.get(key) or [])
    for key in LINES:
        values[key] = "\n".join(doc.get(key) or [])
    for key in CHOICES:
        values[key] = list(doc.get(key) or [])
    for key in ITEMS:
        values[key] = [dict(i) for i in doc.get(key) or []] + [{"type": "", "link": "", "text": ""}] * BLANK_ROWS
    values["contact"] = doc.get("contact") or {}
    values["visibility"] = {f: (doc.get("visibility") or {}).get(f, Visibility.PUBLIC.value) for f in VISIBLE_FIELDS}
    return values


def record_as_form(record: dict[str, Any]) -> dict[str, Any]:
    """A rejected record back into the form, so nothing typed is lost."""
    return member_form({k: v for k, v in record.items() if v is not None})


EVENT_NUMBERS = ("slot_minutes", "num_tables", "request_expiry_hours", "max_requests_per_participant",
                 "max_meetings_default")


def _periods(text: str) -> list[dict[str, str]]:
    """Lines such as "09:00-12:30" (or "09:00 – 12:30") as periods; the schema checks the times."""
    out = []
    for line in _split(text, r"[\r\n,;]+"):
        start, _, end = line.replace("–", "-").partition("-")
        out.append({"start": start.strip(), "end": end.strip()})
    return out


def event_record(form: MultiDict[str, str]) -> dict[str, Any]:
    """The event form as the API's EventSchema input."""
    record: dict[str, Any] = {"title": form.get("title", "").strip(), "timezone": form.get("timezone", "").strip(),
                              "days": _split(form.get("days", ""), r"[,;\s]+"),
                              "sessions": _periods(form.get("sessions", "")),
                              "breaks": _periods(form.get("breaks", ""))}
    for key in EVENT_NUMBERS:
        if form.get(key, "").strip():
            record[key] = form[key].strip()
    if form.get("booking_deadline", "").strip():
        record["booking_deadline"] = form["booking_deadline"].strip()
    return {k: v for k, v in record.items() if v not in ("", None)}


VOCAB = {"offer_types": [e.value for e in OfferType], "request_types": [e.value for e in RequestType],
         "visibilities": [e.value for e in Visibility]}
