"""The web app: server-rendered pages for members (SMEs), organisers and cluster managers on top
of the same services, schemas and Guard as the JSON API. Pages parse, call one service, render."""
from __future__ import annotations

from flask import Flask, redirect, url_for


def init_web(app: Flask) -> None:
    from service.web import i18n, security
    from service.web.blueprint import bp
    from service.web.views import auth, calendar, cluster, member, organiser  # noqa: F401  (routes)

    security.init_security(app)
    i18n.init_i18n(app)
    app.register_blueprint(bp)
    app.add_url_rule("/", "root", lambda: redirect(url_for("web.home")))
