"""Pages of an organiser: their events, participant import, dashboard, solving with progress, the
agenda board with locks, printable material and the outbox."""
from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from service.api.events import MeetingPlaceSchema
from service.errors import InvalidRequestError
from service.events.schemas import EventSchema
from service.participant_import import import_participants
from service.profile_schemas import flatten_errors
from service.web import forms
from service.web.blueprint import bp, principal, requires, services
from service.web.security import CSP

STATES = ("preliminary", "final")
# The printable exports carry their own print styles inline; still nothing from off the host.
PRINT_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@bp.get("/events")
@requires("organiser")
def events() -> Any:
    return render_template("organiser/events.html", events=services().overview(principal()).managed_events())


@bp.route("/events/new", methods=["GET", "POST"])
@requires("organiser")
def new_event() -> Any:
    """The API's EventSchema validates the form; errors are shown next to their field."""
    if request.method == "GET":
        return render_template("organiser/new_event.html", values={}, errors={})
    values = request.form.to_dict()
    try:
        data = EventSchema().load(forms.event_record(request.form))
    except ValidationError as exc:
        errors = {e["field"].split(".")[0]: e["message"] for e in flatten_errors(exc.messages)}
        return render_template("organiser/new_event.html", values=values, errors=errors), 422
    event = services().event_service(principal()).create_event(data)
    return redirect(url_for("web.dashboard", event_id=event["id"]), 303)


@bp.get("/events/<event_id>")
@requires("organiser")
def dashboard(event_id: str) -> Any:
    return render_template("organiser/dashboard.html", d=services().overview(principal()).dashboard(event_id),
                           job_id=request.args.get("job"), notified=request.args.get("notified"),
                           reminder=request.args.get("reminder"), states=STATES)


@bp.post("/events/<event_id>/participants/import")
@requires("organiser")
def import_page(event_id: str) -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidRequestError("choose a CSV or XLSX file", {"file": ["missing"]})
    svc = services()
    report = import_participants(svc.event_service(principal()), event_id, upload.filename, upload.stream)
    return render_template("organiser/import_report.html", report=report, event_id=event_id)


@bp.post("/events/<event_id>/solve")
@requires("organiser")
def solve(event_id: str) -> Any:
    state = request.form.get("state", "preliminary")
    if state not in STATES:
        raise InvalidRequestError(f"state must be one of {STATES}", {"state": ["unknown"]})
    who = principal()
    job_id = services().agenda_service(who).start(event_id, state, 30.0, who.key_id)
    return redirect(url_for("web.dashboard", event_id=event_id, job=job_id), 303)


@bp.post("/events/<event_id>/publish")
@requires("organiser")
def publish(event_id: str) -> Any:
    """Tell the participants about the latest agenda (or what changed since the last notice); a
    final agenda also schedules the reminder before the event."""
    result = services().agenda_notices(principal()).publish(event_id)
    reminder = result.get("reminder") or {}
    said = reminder.get("at") or reminder.get("reason")  # a preliminary agenda has no reminder to speak of
    return redirect(url_for("web.dashboard", event_id=event_id, notified=result["notified"],
                            reminder=None if said == "not_final" else said), 303)


@bp.post("/events/<event_id>/remind")
@requires("organiser")
def remind(event_id: str) -> Any:
    """The reminder before the event: each participant gets their meetings again."""
    result = services().agenda_notices(principal()).remind(event_id)
    return redirect(url_for("web.dashboard", event_id=event_id, notified=result["notified"]), 303)


@bp.get("/events/<event_id>/board")
@requires("organiser")
def board(event_id: str) -> Any:
    """The board; `a` and `b` pick the meeting whose move form is open."""
    pair = (request.args["a"], request.args["b"]) if request.args.get("a") and request.args.get("b") else None
    return render_template("organiser/board.html", b=services().overview(principal()).board(event_id, pair))


@bp.post("/events/<event_id>/board/move")
@requires("organiser")
def move(event_id: str) -> Any:
    """The API's MeetingPlaceSchema reads the form; a collision shows the board again with the
    conflict next to the meeting (409), a move shows the updated board."""
    try:
        data = MeetingPlaceSchema().load({k: request.form.get(k) or None for k in ("a", "b", "start", "table")})
    except ValidationError as exc:
        raise InvalidRequestError(_("The move is not valid: %(errors)s", errors=exc.messages), exc.messages) from exc
    out = services().overview(principal()).move_on_board(event_id, data["a"], data["b"], data["start"],
                                                         data["table"])
    if out["moved"] is None:
        return render_template("organiser/board.html", b=out["board"]), 409
    return redirect(url_for("web.board", event_id=event_id, _anchor=f"m-{data['a']}-{data['b']}"), 303)


@bp.post("/events/<event_id>/board/lock")
@requires("organiser")
def lock(event_id: str) -> Any:
    pair = [request.form.get("a", ""), request.form.get("b", "")]
    services().agenda_service(principal()).lock(event_id, [pair])
    return redirect(url_for("web.board", event_id=event_id), 303)


@bp.get("/events/<event_id>/print/participants")
@requires("organiser")
def print_participants(event_id: str) -> Any:
    html = services().overview(principal()).printable_agendas(event_id, str(get_locale()))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": PRINT_CSP})


@bp.get("/events/<event_id>/print/tables")
@requires("organiser")
def print_tables(event_id: str) -> Any:
    html = services().agenda_service(principal()).table_html(event_id, language=str(get_locale()))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": PRINT_CSP})


@bp.get("/events/<event_id>/print/<any(participants, tables):what>.pdf")
@requires("organiser")
def print_pdf(event_id: str, what: str) -> Any:
    labels = {"time": _("Time"), "table": _("Table"), "with": _("With"), "country": _("Country"),
              "break": _("Break"), "contact": _("Contact"), "why": _("Why")}
    pdf = services().overview(principal()).printable_pdf(event_id, what, labels, str(get_locale()))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{event_id}-{what}.pdf"'})


@bp.get("/events/<event_id>/outbox")
@requires("organiser")
def outbox(event_id: str) -> Any:
    svc = services()
    event = svc.event_service(principal()).event(event_id)
    return render_template("organiser/outbox.html", event=event,
                           mails=svc.notifier().event_outbox(svc.guard(principal()), event))
