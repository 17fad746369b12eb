"""RQ job functions of the service: thin wrappers taking plain values, returning summaries.

The caller was checked when the job was enqueued; the job itself acts as the operator (SYSTEM),
named here explicitly.
"""
from __future__ import annotations

from typing import Any

from rq import get_current_job

from service.access.keys import SYSTEM
from service.container import current_services


def run_match_batch(spec: dict[str, Any]) -> dict[str, Any]:
    job = get_current_job()
    return current_services().match_service(SYSTEM).run_batch(spec, job.id if job else "local")


def solve_agenda(event_id: str, state: str, time_limit_s: float) -> dict[str, Any]:
    return current_services().agenda_service(SYSTEM).generate(event_id, state, time_limit_s)
