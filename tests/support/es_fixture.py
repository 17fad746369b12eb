"""Pytest plugin owning the session-scoped `es_url`: ES_URL (a real server) or noida-db."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.noida import NoidaUnavailableError, start_elasticsearch


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an Elasticsearch 8/9-compatible server for this test session.

    `ES_URL` set (e.g. `http://127.0.0.1:9200`) means a real server that the
    tests share: they must use their own `test-` indices and delete them. Unset,
    a throwaway noida-db starts on a free loopback port with a fresh data dir,
    and the tests that use this fixture are skipped if it cannot start.
    """
    configured = os.environ.get("ES_URL", "").strip()
    if configured:
        yield configured.rstrip("/")
        return
    try:
        server = start_elasticsearch(tmp_path_factory.mktemp("noida-es"))
    except NoidaUnavailableError as exc:
        pytest.skip(f"ES_URL is not set and noida-db could not start: {exc}")
    try:
        yield server.url
    finally:
        server.stop()
