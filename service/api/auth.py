"""Authentication of every API request by key, and the audit of every successful change."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, request

from service.access.keys import Principal

OPEN_PATHS = ("/health", "/openapi.json", "/docs")
CHANGES = ("POST", "PUT", "PATCH", "DELETE")
# Reads that return JSON bodies of this size at most; uploads have their own, larger limit.
MAX_JSON_BYTES = 1024 * 1024


def current_principal() -> Principal:
    return g.principal


def init_auth(app: Flask, services: Any) -> None:
    @app.before_request
    def authenticate() -> Any:
        from service.api import error_body

        if request.path in OPEN_PATHS or request.path.startswith("/static/") or request.method == "OPTIONS":
            return None
        if request.path == "/" or request.path.startswith("/app/"):  # web pages: session sign-in (service.web)
            return None
        if request.mimetype == "application/json" and (request.content_length or 0) > MAX_JSON_BYTES:
            message = f"JSON body of {request.content_length} bytes > limit of {MAX_JSON_BYTES} bytes (1 MiB)"
            return jsonify(error_body(413, "Request Entity Too Large", message)), 413
        header = request.headers.get("Authorization", "")
        token = request.headers.get("X-API-Key") or (header[7:] if header.startswith("Bearer ") else "")
        principal = services.keys.verify(token.strip()) if token else None
        if principal is None:
            message = "an API key is required (header X-API-Key or Authorization: Bearer)" if not token \
                else "unknown or revoked API key"
            response = jsonify(error_body(401, "Unauthorized", message))
            response.headers["WWW-Authenticate"] = "Bearer"
            return response, 401
        g.principal = principal
        return None

    @app.after_request
    def audit(response: Any) -> Any:
        who = g.get("principal")
        # a web form that worked answers 303 (post/redirect/get): audited like the API's 2xx
        done = 200 <= response.status_code < 300 or (response.status_code == 303 and request.path.startswith("/app/"))
        if who is not None and request.method in CHANGES and done:
            rule = request.url_rule.rule if request.url_rule else request.path
            body = response.get_json(silent=True) if response.is_json else None
            details = {"status": response.status_code}
            if isinstance(body, dict):
                details.update({k: body[k] for k in ("id", "job_id", "version") if k in body})
            services.audit.record(who, f"{request.method} {rule}", request.path, details)
        return response
