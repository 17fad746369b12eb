"""Pages of a member (an SME): their events, profile, suggestions, requests and agenda."""
from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from service.errors import InvalidRequestError
from service.events.schemas import MeetingRequestSchema
from service.web import forms
from service.web.blueprint import bp, principal, requires, services


def _me() -> str:
    return principal().subject


@bp.get("/me")
@requires("member")
def member_home() -> Any:
    return render_template("member/home.html", rows=services().overview(principal()).my_participations())


@bp.route("/me/profile", methods=["GET", "POST"])
@requires("member")
def profile() -> Any:
    svc = services()
    editor = svc.profile_editor(principal())
    context = {"vocab": forms.VOCAB, "domain": svc.domain, "errors": {}, "job_id": None}
    if request.method == "GET":
        return render_template("member/profile.html", values=forms.member_form(editor.current("members", _me())),
                               **context)
    record = forms.member_record(request.form)
    try:
        context["job_id"] = editor.save("members", _me(), record)
    except InvalidRequestError as exc:
        context["errors"] = exc.errors or {}
        return render_template("member/profile.html", values=forms.record_as_form(record), **context), 422
    return render_template("member/profile.html", values=forms.record_as_form(record), **context)


@bp.get("/me/suggestions")
@requires("member")
def suggestions() -> Any:
    args = {k: request.args.get(k, "").strip() for k in ("event", "country", "cooperation_type")}
    overview = services().overview(principal())
    found = overview.suggestions(_me(), args["event"] or None, args["country"].upper() or None,
                                 args["cooperation_type"] or None)
    return render_template("member/suggestions.html", found=found, args=args, vocab=forms.VOCAB,
                           events=[r["event"] for r in overview.my_participations()])


@bp.get("/events/<event_id>/participants")
@requires("member", "organiser")
def participants(event_id: str) -> Any:
    svc = services()
    return render_template("member/participants.html", event=svc.event_service(principal()).event(event_id),
                           participants=svc.event_service(principal()).participants(event_id))


@bp.get("/events/<event_id>/requests")
@requires("member")
def requests_page(event_id: str) -> Any:
    return render_template("member/requests.html", data=services().overview(principal()).my_requests(event_id))


@bp.post("/events/<event_id>/requests")
@requires("member")
def send_request(event_id: str) -> Any:
    svc = services()
    me = svc.overview(principal()).my_participant(event_id)
    form = {"to": request.form.get("to", ""), "note": request.form.get("note", "")}
    if request.form.get("priority"):
        form["priority"] = request.form["priority"]
    errors = MeetingRequestSchema().validate(form)
    if errors:
        raise InvalidRequestError(_("The request is not valid: %(errors)s", errors=errors), errors)
    svc.meeting_requests(principal()).send(event_id, me["id"], MeetingRequestSchema().load(form))
    return redirect(url_for("web.requests_page", event_id=event_id), 303)


@bp.post("/events/<event_id>/requests/<rid>/<any(accept, decline):answer>")
@requires("member")
def answer_request(event_id: str, rid: str, answer: str) -> Any:
    services().meeting_requests(principal()).answer(event_id, rid, answer == "accept")
    return redirect(url_for("web.requests_page", event_id=event_id), 303)


@bp.get("/events/<event_id>/agenda")
@requires("member")
def my_agenda(event_id: str) -> Any:
    svc = services()
    data = svc.overview(principal()).my_agenda(event_id)
    feed = url_for("web.calendar_feed", token=svc.calendar_tokens.token(event_id, data["me"]), _external=True)
    return render_template("member/agenda.html", data=data, feed=feed)


@bp.get("/jobs/<job_id>")
@requires()
def job_status(job_id: str) -> Any:
    """A job's progress as a fragment that htmx polls until the job ends."""
    from service.web.session import safe_next

    svc = services()
    status = svc.queue.status(job_id, svc.guard(principal()))
    then = safe_next(request.args.get("then"), "")
    response = make_response(render_template("job.html", job=status, then=then))
    if then and status["status"] == "finished" and request.headers.get("HX-Request"):
        response.headers["HX-Redirect"] = then  # show the page with the job's result
    return response
