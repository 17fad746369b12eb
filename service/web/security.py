"""CSRF on every form, signed and HTTPS-only session cookies, and security headers with a CSP
that allows nothing outside the host (no CDN, no inline script)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from service.access.signin import secret_key

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
csrf = CSRFProtect()


def init_security(app: Flask) -> None:
    settings = app.extensions["maillon"].settings
    app.secret_key = secret_key(settings.secret_key, settings.data_dir)
    app.config.update(
        SESSION_COOKIE_NAME="maillon_session",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        # The API is authenticated by key headers, not cookies: only web forms need the token.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session instead, which expires
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
    )
    csrf.init_app(app)

    @app.after_request
    def headers(response: Any) -> Any:
        if request.path == "/" or request.path.startswith("/app"):
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            if settings.secure_cookies:
                response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
