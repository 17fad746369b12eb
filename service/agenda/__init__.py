"""B2B agenda core: event model, interchange formats, solver, validation, statistics and exports."""
from __future__ import annotations

from service.agenda.delta import apply_delta
from service.agenda.formats import (
    dump_delta,
    dump_instance,
    dump_schedule,
    load_delta,
    load_instance,
    load_schedule,
)
from service.agenda.model import Delta, Instance, Meeting, Participant, Request, Schedule, Slot
from service.agenda.validate import Violation, validate_schedule

__all__ = [
    "Delta", "Instance", "Meeting", "Participant", "Request", "Schedule", "Slot", "Violation",
    "apply_delta", "dump_delta", "dump_instance", "dump_schedule", "load_delta", "load_instance",
    "load_schedule", "solve", "validate_schedule",
]


def __getattr__(name: str) -> object:
    """`solve` on first use: the solver pulls in scipy, seconds of every command's cold start
    (the events service imports this package for its formats)."""
    if name == "solve":
        from service.agenda.solver import solve

        return solve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
