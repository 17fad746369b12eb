"""init_api(app): the flask-smorest Api, its blueprints, and one JSON error shape for everything."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from service.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    ServiceError,
)

STATUS_OF = {
    InvalidRequestError: (422, "Unprocessable Entity"),
    AuthenticationError: (401, "Unauthorized"),
    NotFoundError: (404, "Not Found"),
    ConflictError: (409, "Conflict"),
    ForbiddenError: (403, "Forbidden"),
    BackendUnavailableError: (503, "Service Unavailable"),
    ConfigurationError: (500, "Internal Server Error"),
}


def services() -> Any:
    """The Services of the current app (see service.container)."""
    from service import EXTENSION

    return current_app.extensions[EXTENSION]


def principal() -> Any:
    """The caller, authenticated by service.api.auth."""
    from flask import g

    return g.get("principal")


def error_body(code: int, status: str, message: str, errors: Any = None) -> dict[str, Any]:
    """One error shape; messages never carry an internal path or URL (service.disclosure)."""
    from service.disclosure import scrub, scrub_errors

    secrets = _internal_strings()
    body: dict[str, Any] = {"code": code, "status": status, "message": scrub(message, secrets, code >= 500)}
    if errors:
        body["errors"] = scrub_errors(errors_object(errors), secrets, code >= 500)
    return body


def errors_object(errors: Any) -> dict[str, Any]:
    """The documented shape of `errors` is an object: field (or path) → messages."""
    if isinstance(errors, dict):
        return errors
    out: dict[str, list[str]] = {}
    for problem in errors if isinstance(errors, list | tuple) else [errors]:
        text = str(problem)
        path, sep, message = text.partition(": ")
        key = path if sep and " " not in path.strip() else "_schema"
        out.setdefault(key, []).append(message if key != "_schema" else text)
    return out


class MaillonApi(Api):
    """flask-smorest's Api with its one error hook taking every error: HTTP errors (aborts,
    404, 405 with its Allow header, 413), service errors, and anything unexpected (500)."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")  # webargs puts field errors there
        message = data.get("message") or error.description or error.name
        if errors and error.code == 422 and "message" not in data:
            message = "invalid request: see errors"
        headers = dict(error.get_headers())
        headers.pop("Content-Type", None)
        headers.update(data.get("headers") or {})
        return error_body(error.code or 500, error.name, message, errors), error.code, headers

    def handle_service_error(self, exc: ServiceError) -> Any:
        code, status = next((v for k, v in STATUS_OF.items() if isinstance(exc, k)), (500, "Internal Server Error"))
        if code >= 500:
            current_app.logger.error("%s: %s", type(exc).__name__, exc.message)
        message = exc.message if code < 500 or isinstance(exc, BackendUnavailableError) else "server misconfigured"
        return error_body(code, status, message, exc.errors), code

    def handle_unexpected(self, exc: Exception) -> Any:
        current_app.logger.exception("unhandled error")
        return error_body(500, "Internal Server Error", "unexpected server error"), 500


def _internal_strings() -> list[str]:
    try:
        settings = services().settings
    except (RuntimeError, KeyError):  # outside an app context
        return []
    return [str(settings.data_dir), str(getattr(settings, "redis_url", "") or ""),
            str(getattr(settings, "es_url", "") or "")]


def init_api(app: Flask) -> Api:
    from swagger_ui_bundle import swagger_ui_path

    from service.api import audit, cooperation, health, jobs, matches, profiles, uploads
    from service.api import events as events_api
    from service.api.auth import init_auth
    from service.api.static import static_blueprint

    app.config.update(
        API_TITLE="Maillon",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
    )
    app.register_blueprint(static_blueprint(swagger_ui_path))
    api = MaillonApi(app, spec_kwargs={"info": {"description": "Complementary partner matching, explained."}})
    api.spec.components.security_scheme("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    api.spec.options["security"] = [{"ApiKey": []}]
    init_auth(app, app.extensions["maillon"])
    for module in (health, profiles, uploads, jobs, audit, matches, events_api, cooperation):
        api.register_blueprint(module.blp)
    app.register_error_handler(ServiceError, api.handle_service_error)
    app.register_error_handler(Exception, api.handle_unexpected)
    return api
