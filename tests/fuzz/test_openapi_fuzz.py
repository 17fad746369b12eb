"""Schemathesis over the whole OpenAPI spec, from deep states: two tenants with accepted
meetings, solved and re-solved agendas, a cancelled participant, an unanswered invitation and
finished match batches. Every generated case runs as generated and again with its path
parameters set to real ids of those states, as an admin, an organiser and a member in turn.
No input may cause a server error."""
from __future__ import annotations

import os
import random
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from service import create_app
from service.access.keys import SYSTEM
from tests.support.tenants import build_world

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "15"))
ROLES = ("admin", "organiser_a", "member_a1", "manager_b")


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory, embedder, redis_url):
    app = create_app({"data_dir": tmp_path_factory.mktemp("fuzz"), "embedder": embedder,
                      "redis_url": redis_url, "model_name": embedder.name})
    world = build_world(app, embedder)
    a = world.ids["A"]
    headers = {"X-API-Key": world.keys["organiser_a"]}
    # Deeper states: a cancelled participant, then the agenda solved again around it.
    late = world.client.post(f"/events/{a['event']}/participants", headers=headers,
                             json={"name": "Participant annulé"}).get_json()["id"]
    world.client.post(f"/events/{a['event']}/participants/{late}/cancel", headers=headers)
    world.services.agenda_service(SYSTEM).generate(a["event"], "final", 5)
    pool = {
        "event_id": [world.ids[t]["event"] for t in "AB"],
        "pid": [world.ids[t][k] for t in "AB" for k in ("p_member", "p_peer", "p_stand", "p_invited")] + [late],
        "rid": [world.ids[t]["rid"] for t in "AB"],
        "job_id": [world.ids[t][k] for t in "AB" for k in ("job", "batch")] + ["batch_ev"],
        "member_id": ["mx-a1", "mx-a2", "mx-b1", "mx-b2"],
        "cluster_id": ["cl-a", "cl-b"],
    }
    return app, world, pool


def test_no_server_errors(fuzz_world) -> None:
    app, world, pool = fuzz_world
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    calls: Counter[str] = Counter()
    rng = random.Random(12)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            variants = [dict(case.path_parameters or {})]
            if case.path_parameters:
                variants.append({k: rng.choice(pool[k]) if k in pool else v for k, v in case.path_parameters.items()})
            for params in variants:
                case.path_parameters = params
                role = rng.choice(ROLES)
                response = case.call(headers={"X-API-Key": world.keys[role]})
                calls[case.operation.label] += 1
                if response.status_code >= 500:
                    state = _participant_state(world, params)
                    failures.append(f"{role} {case.method} {case.formatted_path} {case.query} {str(case.body)[:100]}"
                                    f" → {response.status_code}{state}: {response.text[:200]}")

        exercise()
    print(f"\nfuzzing: {sum(calls.values())} requests over {len(calls)} operations, {len(failures)} server errors")
    for line in failures:
        print(line)
    assert not failures, "\n".join(failures[:20])


def _participant_state(world, params: dict) -> str:
    """The participant's status, when a path names one: it tells deep-state failures apart."""
    if "event_id" not in params or "pid" not in params:
        return ""
    found = world.services.event_store.participant(params["event_id"], params["pid"])
    return f" (participant {found.get('status')})" if found else ""
