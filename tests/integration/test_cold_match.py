"""A stored-seeker `maillon match` reads every vector it needs from the store and the data dir's
label store: it never imports torch nor loads the model (issue 11 point 10, cold start). Without
the label store the model is loaded once, the labels stored, and the answer is the same."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexers.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# Runs the command in a fresh process, then says which heavy modules that process imported.
PROBE = """
import json, sys
from indexers.cli import main
try:
    main(sys.argv[1:], obj={})
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "onnxruntime") if m in sys.modules)
print("HEAVY " + json.dumps(heavy))
"""


def fresh_match(data_dir: Path, model: str, *args: str) -> tuple[dict, list[str]]:
    env = {**os.environ, "MAILLON_MODEL": model}
    done = subprocess.run([sys.executable, "-c", PROBE, "--data-dir", str(data_dir), "match", *args, "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    body, _, heavy = done.stdout.rpartition("HEAVY ")
    return json.loads(body), json.loads(heavy)


@pytest.mark.model
def test_a_stored_seeker_match_loads_no_model(tmp_path, monkeypatch, embedder) -> None:
    monkeypatch.setenv("MAILLON_MODEL", embedder.name)
    data_dir = tmp_path / "d"
    for kind in ("clusters", "members"):
        args = ["--data-dir", str(data_dir), "ingest", kind, str(DATA / f"match_{kind}.jsonl")]
        done = CliRunner().invoke(main, args, obj={}, catch_exceptions=False)
        assert done.exit_code == 0, done.output
    labels = list((data_dir / "label_vectors").glob("*.npz"))
    assert len(labels) == 1, "ingest stores the template label vectors once"

    cold, heavy = fresh_match(data_dir, embedder.name, "--cluster", "t-fr-aero", "--limit", "3")
    assert heavy == []
    assert cold["items"] and cold["seeker"]["gaps"], cold  # gaps (template gap vectors) were scored
    member, heavy = fresh_match(data_dir, embedder.name, "--member", "t-fr-sme", "--target", "members")
    assert heavy == [] and member["seeker"]["id"] == "t-fr-sme"

    # Without the label store: the model encodes the labels, stores them, and ranks the same.
    labels[0].unlink()
    warm, heavy = fresh_match(data_dir, embedder.name, "--cluster", "t-fr-aero", "--limit", "3")
    # the model loads: PyTorch, or the float32 ONNX export when the model cache already holds one
    assert {"torch", "onnxruntime"} & set(heavy) and labels[0].is_file()
    assert [(m["id"], round(m["score"], 4)) for m in warm["items"]] == [
        (m["id"], round(m["score"], 4)) for m in cold["items"]]
    assert warm["items"][0]["sentence"] == cold["items"][0]["sentence"]
