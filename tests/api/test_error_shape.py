"""One error shape everywhere (flask-smorest's ErrorSchema), built by one hook. No model needed."""
from __future__ import annotations

import json

import pytest

from service import create_app
from service.errors import ConfigurationError


@pytest.fixture
def admin(tmp_path):
    app = create_app({"data_dir": tmp_path})
    from service import EXTENSION

    _, token = app.extensions[EXTENSION].keys.create("admin", None, "t")
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = token
    return client


def _shape(response, code: int) -> dict:
    body = response.get_json()
    assert response.status_code == code, body
    assert body["code"] == code and body["status"] and body["message"]
    assert set(body) <= {"code", "status", "message", "errors"}
    if "errors" in body:
        assert isinstance(body["errors"], dict), body  # the documented schema says object
    return body


def test_interchange_errors_are_an_object_naming_the_path(admin) -> None:
    bad = {"format": "b2b-sched-instance/1", "name": "x", "num_tables": -1, "slots": [], "participants": [],
           "requests": []}
    body = _shape(admin.post("/events/import", data=json.dumps(bad), content_type="application/json"), 422)
    assert any("num_tables" in key or "num_tables" in json.dumps(v) for key, v in body["errors"].items())


def test_405_keeps_its_allow_header(admin) -> None:
    response = admin.delete("/health")
    _shape(response, 405)
    assert "GET" in response.headers["Allow"]


def test_404_and_401_and_422_share_the_shape(admin, tmp_path) -> None:
    _shape(admin.get("/nowhere"), 404)
    _shape(admin.post("/matches", json={"page_size": 0}), 422)
    anonymous = admin.application.test_client()
    _shape(anonymous.get("/clusters"), 401)


def test_a_typo_in_an_override_fails_at_creation(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="data_dri"):
        create_app({"data_dri": tmp_path})
