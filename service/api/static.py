"""Serves the Swagger UI assets shipped by the swagger-ui-bundle wheel (no CDN needed)."""
from __future__ import annotations

from flask import Blueprint


def static_blueprint(folder: str) -> Blueprint:
    return Blueprint("swagger_ui_assets", __name__, static_folder=folder,
                     static_url_path="/static/swagger-ui")
