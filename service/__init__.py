"""Maillon service: create_app(overrides) builds settings, clients and services, then the API."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

EXTENSION = "maillon"
# Prebuilt collaborators that tests (and the CLI) may hand to create_app instead of settings.
COLLABORATORS = ("embedder", "index", "queue", "domain", "pipeline")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The application factory: nothing is read before this is called, and everything that can
    be wrong with the configuration fails here, not at the first request.

    `overrides` takes Settings field names (data_dir, backend, ...) and prebuilt collaborators
    (embedder, index, queue, domain) for tests; an unknown name is an error.
    """
    from service.api import init_api
    from service.container import build_services
    from service.cpu import limit_threads
    from service.settings import load_settings

    overrides = dict(overrides or {})
    collaborators = {k: overrides.pop(k) for k in COLLABORATORS if k in overrides}
    settings = load_settings(overrides)
    logging.basicConfig(level=settings.log_level)
    limit_threads(settings.cpu_threads)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_mb * 1024 * 1024
    app.extensions[EXTENSION] = build_services(settings, **collaborators)
    init_api(app)
    from service.web import init_web  # the web app for people, beside the JSON API

    init_web(app)
    return app
