"""Printable agendas as PDF (fpdf2, DejaVu Sans vendored from npm dejavu-fonts-ttf, so every
European name prints): one page per participant, one page per table, with the breaks."""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from fpdf import FPDF

from service.agenda.exports import with_breaks

FONTS = Path(__file__).parent / "fonts"
CACHED = 16  # documents kept per process


def _same_input_same_pdf(render: Callable[..., bytes]) -> Callable[..., bytes]:
    """A per-process cache keyed by the content of the arguments: printing the same agenda again
    costs no font parsing and layout (about half a second), and any change makes a new key."""
    done: OrderedDict[str, bytes] = OrderedDict()
    lock = threading.Lock()

    @wraps(render)
    def cached(*args: Any) -> bytes:
        key = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()
        with lock:
            if key in done:
                done.move_to_end(key)
                return done[key]
        pdf = render(*args)
        with lock:
            done[key] = pdf
            while len(done) > CACHED:
                done.popitem(last=False)
        return pdf
    return cached


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def _header(pdf: FPDF, event: dict[str, Any], title: str) -> None:
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, event.get("title") or event["id"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    where = [event["venue"]] if event.get("venue") else []
    when = ", ".join(str(d) for d in event.get("days") or [])
    when += f" ({event['timezone']})" if event.get("timezone") else ""
    pdf.multi_cell(0, 6, " · ".join([*where, when]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, head: list[str], rows: list[list[str]], widths: list[int]) -> None:
    pdf.set_font("DejaVu", "B", 10)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=6) as table:
        row = table.row()
        for cell in head:
            row.cell(cell)
        pdf.set_font("DejaVu", "", 10)
        for values in rows:
            row = table.row()
            for cell in values:
                row.cell(cell)


def _with_breaks(event: dict[str, Any], meetings: list[tuple[str, str, list[str]]], width: int,
                 label: str) -> list[list[str]]:
    """Meeting rows (start, end, other cells) and a row per break of each day, in time order
    (the same rows as the printable HTML: service.agenda.exports.with_breaks)."""
    rows = with_breaks(event, [{"start": start, "end": end, "cells": cells} for start, end, cells in meetings])
    return [[f"{r['start'][:10]} {r['start'][11:16]}–{r['end'][11:16]}",
             *([label] + [""] * (width - 2) if r.get("break") else r["cells"])] for r in rows]


@_same_input_same_pdf
def participants_pdf(event: dict[str, Any], agendas: list[dict[str, Any]], labels: dict[str, str]) -> bytes:
    """`agendas`: service.agenda.exports.participant_agenda dicts, with the contact and the reasons
    (plain text) a service added; `labels`: the column titles, in the reader's language."""
    pdf = _pdf()
    for agenda in agendas:
        me = agenda["participant"]
        title = me["name"] + (f" · {labels['table']} {me['fixed_table_label']}"
                              if me.get("fixed_table_label") is not None else "")
        _header(pdf, event, title)
        meetings = [m for m in agenda["meetings"] if m["status"] != "cancelled"]
        with_contact = any(m["with"].get("contact") for m in meetings)
        with_why = any(m.get("why") for m in meetings)
        rows = _with_breaks(event, [(m["start"], m["end"], [str(m["table_label"]), _who(m["with"])]
                                     + ([_contact(m["with"].get("contact"))] if with_contact else [])
                                     + (["\n".join(m.get("why") or [])] if with_why else []))
                                    for m in meetings], 3 + with_contact + with_why, labels["break"])
        head = [labels["time"], labels["table"], labels["with"]]
        head += [labels["contact"]] if with_contact else []
        head += [labels["why"]] if with_why else []
        widths = {(False, False): [40, 25, 125], (True, False): [35, 20, 75, 60], (False, True): [30, 18, 60, 82],
                  (True, True): [28, 15, 47, 40, 60]}[(with_contact, with_why)]
        _table(pdf, head, rows, widths)
    return bytes(pdf.output())


def _who(other: dict[str, Any]) -> str:
    """The partner's organisation, its kind and country."""
    more = ", ".join(x for x in (other.get("org_type"), other.get("country")) if x)
    return (other.get("name") or other.get("id") or "") + (f" ({more})" if more else "")


def _contact(contact: dict[str, Any] | None) -> str:
    return "\n".join(str(contact[k]) for k in ("name", "email", "phone") if contact and contact.get(k))


@_same_input_same_pdf
def tables_pdf(event: dict[str, Any], sheets: list[dict[str, Any]], labels: dict[str, str]) -> bytes:
    """`sheets`: [{"table": label, "rows": [{"start", "end", "a", "b"}]}]."""
    pdf = _pdf()
    for sheet in sheets:
        _header(pdf, event, f"{labels['table']} {sheet['table']}")
        rows = _with_breaks(event, [(r["start"], r["end"], [r["a"], r["b"]]) for r in sheet["rows"]], 3,
                            labels["break"])
        _table(pdf, [labels["time"], labels["with"], labels["with"]], rows, [45, 70, 70])
    return bytes(pdf.output())
