"""A bounded schemathesis run over the whole OpenAPI spec: no input may cause a server error."""
from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app

DATA = Path(__file__).parent.parent / "data"
EXAMPLES_PER_OPERATION = int(__import__("os").environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, embedder, redis_url):
    app = create_app({"data_dir": tmp_path_factory.mktemp("fuzz"), "embedder": embedder,
                      "redis_url": redis_url, "model_name": embedder.name})
    services = app.extensions[EXTENSION]
    for kind in ("clusters", "members"):
        ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, services.index, embedder, services.domain)
    app.config["FUZZ_KEY"] = services.keys.create("admin", None, "fuzz")[1]
    return app


def test_no_server_errors(fuzz_app) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    headers = {"X-API-Key": fuzz_app.config["FUZZ_KEY"]}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:100]} → {response.status_code}: "
                                f"{response.text[:200]}")

        exercise()
    assert not failures, "\n".join(failures[:20])
