"""`maillon cooperation ...`: learn with too few and with enough examples, apply, roll back."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from indexers.cli import main
from service.cooperation.store import CooperationStore
from service.matching.weights import CRITERIA, PENALTY


def run(*args: str):
    return CliRunner().invoke(main, list(args), obj={}, catch_exceptions=False)


def _seed(store: CooperationStore) -> None:
    """Accepted partners were those close to the seeker's markets; nothing else mattered."""
    rng = np.random.default_rng(5)
    for i in range(120):
        scores = {k: float(rng.uniform()) for k in CRITERIA}
        accepted = scores["market_access"] + rng.normal(0, 0.15) > 0.5
        store.put_record({
            "id": f"co-{i}", "created_at": "2026-01-10T09:00:00Z", "stage": "contact", "agreement_type": None,
            "parties": [{"kind": "clusters", "id": f"c{i}"}, {"kind": "clusters", "id": f"d{i}"}], "meetings": [],
            "signals": [{"kind": "accepted" if accepted else "declined"}],
            "match": {"search_type": "clusters", "seeker": f"c{i % 25}", "partner": f"d{i}",
                      "criteria": {k: {"score": scores.get(k, 0.0)} for k in (*CRITERIA, PENALTY)}}})


def test_learn_apply_and_roll_back_from_the_command_line(tmp_path) -> None:
    data = str(tmp_path)
    empty = run("--data-dir", data, "cooperation", "learn", "--search-type", "clusters")
    assert empty.exit_code == 0 and "too few examples: 0" in empty.output and "need 60 more" in empty.output

    _seed(CooperationStore(tmp_path / "cooperation.sqlite3"))
    learned = run("--data-dir", data, "cooperation", "learn", "--search-type", "clusters")
    assert "clusters: proposed" in learned.output and "AUC" in learned.output, learned.output
    proposals = json.loads(run("--data-dir", data, "cooperation", "proposals", "--json").output)
    fitted = next(p for p in proposals if p["status"] == "proposed")
    assert max(fitted["fitted_weights"], key=fitted["fitted_weights"].get) == "market_access"

    assert "version 1 applied" in run("--data-dir", data, "cooperation", "apply", fitted["id"]).output
    assert "rollback of version 1" in run("--data-dir", data, "cooperation", "rollback", "clusters").output
    again = CliRunner().invoke(main, ["--data-dir", data, "cooperation", "rollback", "clusters"], obj={})
    assert again.exit_code != 0 and "configured weights are in use" in str(again.exception)
