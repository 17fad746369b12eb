"""init_api(app): the flask-smorest Api, its blueprints, and one JSON error shape for everything."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify
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
        body["errors"] = scrub_errors(errors, secrets, code >= 500)
    return body


def _internal_strings() -> list[str]:
    try:
        settings = services().settings
    except (RuntimeError, KeyError):  # outside an app context
        return []
    return [str(settings.data_dir), str(getattr(settings, "redis_url", "") or ""),
            str(getattr(settings, "es_url", "") or "")]


def init_api(app: Flask) -> Api:
    from swagger_ui_bundle import swagger_ui_path

    from service.api import audit, health, jobs, profiles, uploads
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
    api = Api(app, spec_kwargs={"info": {"description": "Complementary partner matching, explained."}})
    api.spec.components.security_scheme("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    api.spec.options["security"] = [{"ApiKey": []}]
    init_auth(app, app.extensions["maillon"])
    for module in (health, profiles, uploads, jobs, audit):
        api.register_blueprint(module.blp)
    for module_name in ("matches", "events"):  # later capabilities register when present
        module = _optional(f"service.api.{module_name}")
        if module is not None:
            api.register_blueprint(module.blp)

    @app.errorhandler(ServiceError)
    def handle_service_error(exc: ServiceError) -> Any:
        code, status = next((v for k, v in STATUS_OF.items() if isinstance(exc, k)), (500, "Internal Server Error"))
        return jsonify(error_body(code, status, exc.message, exc.errors)), code

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Any:
        # flask-smorest's own handler covers its aborts; this one covers werkzeug's (413, 404...)
        data = getattr(exc, "data", {}) or {}
        errors = data.get("errors") or data.get("messages")  # webargs puts field errors there
        message = data.get("message") or exc.description
        if errors and exc.code == 422:
            message = "invalid request: see errors"
        return jsonify(error_body(exc.code or 500, exc.name, message, errors)), exc.code

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        app.logger.exception("unhandled error")
        return jsonify(error_body(500, "Internal Server Error", "unexpected server error")), 500

    return api


def _optional(name: str) -> Any:
    import importlib
    import importlib.util

    return importlib.import_module(name) if importlib.util.find_spec(name) else None
