"""Shared fixtures of the agenda tests: a tiny hand-made event."""
from __future__ import annotations

import copy
import os
import tempfile
from typing import Any

import pytest

# Hypothesis caches constants under ./.hypothesis, and pyproject's norecursedirs (which
# replaces pytest's defaults) then turns its collection warning into an error: keep the
# cache out of the repository.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "maillon-hypothesis"))

TINY: dict[str, Any] = {
    "format": "b2b-sched-instance/1",
    "name": "tiny",
    "event": {"title": "Tiny fair", "slot_minutes": 20, "days": 1, "first_day": "2026-03-10"},
    "slots": [{"id": i, "day": 0, "start": f"2026-03-10T09:{20 * i:02d}",
               "end": f"2026-03-10T{9 + (20 * i + 20) // 60:02d}:{(20 * i + 20) % 60:02d}"}
              for i in range(3)] + [{"id": 3, "day": 0, "start": "2026-03-10T14:00",
                                     "end": "2026-03-10T14:20"}],
    "num_tables": 3,
    "participants": [
        {"id": "A", "name": "Alpha", "org_type": "SME", "country": "FR", "sector": "aero",
         "max_meetings": 3, "availability": None, "fixed_table": None},
        {"id": "B", "name": "Beta", "org_type": "SME", "country": "DE", "sector": "aero",
         "max_meetings": None, "availability": [[0, 2]], "fixed_table": None},
        {"id": "C", "name": "Gamma", "org_type": "large_company", "country": "ES",
         "sector": "aero", "max_meetings": None, "availability": None, "fixed_table": 2},
        {"id": "D", "name": "Delta", "org_type": "SME", "country": "IT", "sector": "aero",
         "max_meetings": 1, "availability": None, "fixed_table": None},
        {"id": "E", "name": "Epsilon", "org_type": "SME", "country": "PL", "sector": "aero",
         "max_meetings": None, "availability": None, "fixed_table": None},
    ],
    "requests": [
        {"id": "r1", "from": "A", "to": "B", "priority": 3, "status": "accepted",
         "created_at": "2026-02-01T10:00:00Z"},
        {"id": "r2", "from": "A", "to": "C", "priority": 2, "status": "pending",
         "created_at": "2026-02-01T10:01:00Z"},
        {"id": "r3", "from": "B", "to": "C", "priority": 1, "status": "accepted",
         "created_at": "2026-02-01T10:02:00Z"},
        {"id": "r4", "from": "A", "to": "D", "priority": 1, "status": "accepted",
         "created_at": "2026-02-01T10:03:00Z"},
        {"id": "r5", "from": "D", "to": "E", "priority": 2, "status": "declined",
         "created_at": "2026-02-01T10:04:00Z"},
        {"id": "r6", "from": "E", "to": "D", "priority": 1, "status": "pending",
         "created_at": "2026-02-01T10:05:00Z"},
        {"id": "r7", "from": "C", "to": "E", "priority": 3, "status": "accepted",
         "created_at": "2026-02-01T10:06:00Z"},
        {"id": "r8", "from": "B", "to": "E", "priority": 2, "status": "declined",
         "created_at": "2026-02-01T10:07:00Z"},
    ],
}


@pytest.fixture
def tiny_doc() -> dict[str, Any]:
    return copy.deepcopy(TINY)
