"""RQ job functions of the service: thin wrappers taking plain values, returning summaries.

Each job names its caller explicitly: a match batch runs as the key that started it; an agenda
solve (checked when the organiser started it) runs as the operator, SYSTEM.
"""
from __future__ import annotations

from typing import Any

from rq import get_current_job

from service.access.keys import SYSTEM, Principal
from service.container import current_services


def run_match_batch(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs as the key that started the batch (`by`); a spec without one is refused."""
    if not spec.get("by"):
        raise ValueError("a match batch must name who started it")
    job = get_current_job()
    starter = Principal(*spec["by"])
    return current_services().match_service(starter).run_batch(spec, job.id if job else "local")


def solve_agenda(event_id: str, state: str, time_limit_s: float) -> dict[str, Any]:
    return current_services().agenda_service(SYSTEM).generate(event_id, state, time_limit_s)
