"""Sign in with a personal link sent by e-mail, or with an API key; sign out; language."""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from service import page_warmup
from service.errors import AuthenticationError
from service.notify.messages import LANGUAGES
from service.web import session as web_session
from service.web.blueprint import bp, principal, services

KEY_ROLES = ("admin", "organiser", "cluster_manager")
HOMES = {"member": "web.member_home", "organiser": "web.events", "admin": "web.events",
         "cluster_manager": "web.cluster_home"}


@bp.get("/")
def home() -> Any:
    who = principal()
    if who is None:
        return redirect(url_for("web.signin"))
    return redirect(url_for(HOMES[who.role]))


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    next_path = web_session.safe_next(request.values.get("next"), "")
    if request.method == "GET":
        return render_template("signin.html", next=next_path, sent=False, errors={})
    if request.form.get("api_key") is not None:
        who = services().keys.verify(request.form["api_key"].strip())
        if who is None or who.role not in KEY_ROLES:
            errors = {"api_key": _("Unknown or revoked key, or a key of a role that signs in by e-mail.")}
            return render_template("signin.html", next=next_path, sent=False, errors=errors), 401
        web_session.start_for_key(who)
        return redirect(web_session.safe_next(next_path, url_for(HOMES[who.role])))
    email = request.form.get("email", "").strip()
    if "@" not in email:
        return render_template("signin.html", next=next_path, sent=False,
                               errors={"email": _("Enter an e-mail address.")}), 422
    svc = services()
    svc.notifier().send_signin_links(email, next_path, participants=svc.event_store)
    return render_template("signin.html", next=next_path, sent=True, errors={})


@bp.route("/signin/<token>", methods=["GET", "POST"])
def signin_link(token: str) -> Any:
    """GET only shows a button: mail scanners that open links must not use up the single use."""
    next_path = web_session.safe_next(request.values.get("next"), "")
    if request.method == "GET":
        return render_template("signin_link.html", token=token, next=next_path)
    try:
        account = services().signin.redeem(token)
    except AuthenticationError as exc:
        return render_template("error.html", code=401, message=exc.message), 401
    who = web_session.start_for_account(account)
    page_warmup.start(services(), who)
    return redirect(web_session.safe_next(next_path, url_for(HOMES[who.role])))


@bp.post("/signout")
def signout() -> Any:
    web_session.end()
    return redirect(url_for("web.signin"))


@bp.post("/language")
def language() -> Any:
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        who = session.get("who") or {}
        if who.get("via") == "link":
            services().signin.set_language(who["account"], lang)
    return redirect(web_session.safe_next(request.form.get("next"), url_for("web.home")))
