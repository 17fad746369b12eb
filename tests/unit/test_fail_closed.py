"""Authorisation fails closed: no service exists without a caller."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from service.access.keys import SYSTEM, Principal
from service.access.policy import Guard
from service.container import Services
from service.errors import ForbiddenError
from service.events.service import EventService
from service.events.store import EventStore


@pytest.mark.parametrize("caller", [None, "admin", {"role": "admin"}])
def test_a_guard_without_a_principal_refuses(caller) -> None:
    with pytest.raises(ForbiddenError, match="no caller"):
        Guard(caller)


def test_services_have_no_default_caller(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    with pytest.raises(TypeError, match="guard"):
        EventService(store)  # type: ignore[call-arg]
    factories = [name for name, fn in inspect.getmembers(Services, inspect.isfunction) if name.endswith("_service")]
    assert len(factories) >= 6
    for name in factories:
        caller = inspect.signature(getattr(Services, name)).parameters["caller"]
        assert caller.default is inspect.Parameter.empty, name


def test_the_operator_is_named_explicitly() -> None:
    assert Guard(SYSTEM).system and Guard(SYSTEM).admin
    assert not Guard(Principal("k1", "admin")).system
