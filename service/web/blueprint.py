"""The web blueprint (under /app) and what every page shares: the signed-in principal, the
services acting for it, HTML error pages and the security headers."""
from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from service.errors import ServiceError

bp = Blueprint("web", __name__, url_prefix="/app", template_folder="templates", static_folder="static")


def services() -> Any:
    from service import EXTENSION

    return current_app.extensions[EXTENSION]


def principal() -> Any:
    return g.get("principal")


def requires(*roles: str) -> Any:
    """Signed in, with one of `roles` (admin always passes); per-object rules stay the Guard's."""
    def decorate(view: Any) -> Any:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            who = principal()
            if who is None:
                return redirect(url_for("web.signin", next=request.full_path.rstrip("?")))
            if roles and who.role not in roles and not who.is_admin:
                return render_template("error.html", code=403, message=None), 403
            return view(*args, **kwargs)
        return wrapped
    return decorate


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError) -> Any:
    from service.api import STATUS_OF

    code = next((v[0] for k, v in STATUS_OF.items() if isinstance(exc, k)), 500)
    return render_template("error.html", code=code, message=exc.message), code


@bp.before_request
def load_principal() -> None:
    """The session carries the principal of a sign-in link or an API key; a revoked key or a
    removed account ends the session."""
    from flask import session

    from service.web.security import csrf

    g.principal = None
    data = session.get("who")
    if data:
        svc = services()
        if data["via"] == "key":
            g.principal = svc.keys.active(data["key_id"])
        else:
            try:
                g.principal = svc.signin.account(data["account"]).principal
            except ServiceError:
                g.principal = None
        if g.principal is None:
            session.clear()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.app_context_processor
def page_context() -> dict[str, Any]:
    from flask_babel import get_locale

    return {"who": g.get("principal"), "lang": str(get_locale() or "en")}


@bp.errorhandler(Exception)
def any_error(exc: Exception) -> Any:
    """HTTP errors (a missing CSRF token is a 400) and surprises as pages, not JSON."""
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return render_template("error.html", code=exc.code, message=exc.description), exc.code or 500
    current_app.logger.exception("unhandled error in a page")
    return render_template("error.html", code=500, message=None), 500
