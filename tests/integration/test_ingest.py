"""The ingest pipeline end to end on the embedded default, with the real model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service.index.base import ProfileFilter
from service.index.embedded import EmbeddedIndex

DATA = Path(__file__).parent.parent / "data"
pytestmark = pytest.mark.model


def run(path: Path, kind: str, index, embedder, domain, **kw):
    return ingest(read_records(path, kind), kind, index, embedder, domain, source=path.name, **kw)


def test_bad_rows_reported_and_valid_rows_land(tmp_path, embedder, domain) -> None:
    index = EmbeddedIndex(tmp_path / "s.sqlite3")
    report = run(DATA / "members_bad.csv", "members", index, embedder, domain)
    # Open world: a bad value is a warning naming its field; only unusable records are rejected.
    rejected = {e["locator"] for e in report.errors}
    located = {(e["locator"], e["field"]) for e in report.errors + report.warnings}
    assert ("members_bad.csv row 3", "country") in located          # unknown country
    assert ("members_bad.csv row 4", "active_cooperations") in located  # wrong type
    assert report.read == 5 and report.inserted + report.invalid == 5 and report.inserted >= 1
    assert "members_bad.csv row 2" not in rejected
    assert ("members_bad.csv row 5", "_record") in located          # malformed cell
    assert ("members_bad.csv row 6", "_record") in located          # malformed row
    doc = index.get("members", "fr-m-1")
    assert doc["nace"] == ["25.62"] and doc["offers"][0]["type"] == "manufacturing"
    assert {it.role for it in index.items("members", "fr-m-1")} <= {"profile", "offer", "request", "link"}


def test_reingest_unchanged_does_not_embed(tmp_path, embedder, domain) -> None:
    index = EmbeddedIndex(tmp_path / "s.sqlite3")
    first = run(DATA / "clusters_small.jsonl", "clusters", index, embedder, domain)
    again = run(DATA / "clusters_small.jsonl", "clusters", index, embedder, domain)
    assert first.inserted == 3 and first.embedded_texts > 0
    assert (again.unchanged, again.embedded_texts, again.inserted) == (3, 0, 0)


def test_store_survives_restart_and_serves_knn(tmp_path, embedder, domain) -> None:
    path = tmp_path / "s.sqlite3"
    run(DATA / "clusters_small.jsonl", "clusters", EmbeddedIndex(path), embedder, domain)
    reopened = EmbeddedIndex(path)
    assert reopened.count("clusters") == 3
    need = embedder.encode_queries(["Nous cherchons un partenaire en traitement de surface"])
    hits = reopened.knn("clusters", "offer", need, 3, ProfileFilter(exclude_countries=frozenset({"FR"})))
    assert hits[0][0].profile_id == "de-luft-bw"


def test_interrupted_ingest_leaves_store_consistent(tmp_path, embedder, domain) -> None:
    class Crash(Exception):
        pass

    class CrashingIndex(EmbeddedIndex):
        calls = 0

        def upsert(self, kind, profiles):
            CrashingIndex.calls += 1
            if CrashingIndex.calls == 2:
                raise Crash()
            super().upsert(kind, profiles)

    path = tmp_path / "s.sqlite3"
    with pytest.raises(Crash):
        run(DATA / "clusters_small.jsonl", "clusters", CrashingIndex(path), embedder, domain, batch_size=1)
    index = EmbeddedIndex(path)
    assert index.count("clusters") == 1  # the first batch, whole; nothing of the second
    (pid,) = index.store.all_ids("clusters")
    assert index.items("clusters", pid)
    again = run(DATA / "clusters_small.jsonl", "clusters", index, embedder, domain)
    assert (again.unchanged, again.inserted) == (1, 2)


def test_another_process_writes_are_seen(tmp_path, embedder, domain) -> None:
    path = tmp_path / "s.sqlite3"
    reader = EmbeddedIndex(path)
    q = embedder.encode_queries(["usinage titane"])
    assert reader.knn("clusters", "offer", q, 3, ProfileFilter()) == [[]]
    run(DATA / "clusters_small.jsonl", "clusters", EmbeddedIndex(path), embedder, domain)
    assert reader.knn("clusters", "offer", q, 1, ProfileFilter())[0][0].profile_id == "fr-aero-nord"
    EmbeddedIndex(path).delete("clusters", ["fr-aero-nord"])
    assert all(h.profile_id != "fr-aero-nord" for h in reader.knn("clusters", "offer", q, 5, ProfileFilter())[0])


def test_embeddings_are_normalised_and_cross_lingual(embedder) -> None:
    fr = embedder.encode_queries(["traitement de surface de pièces en aluminium"])
    docs = embedder.encode_documents(["Oberflächenbehandlung von Aluminiumteilen", "Weinbau und Kellerei"])
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    scores = fr @ docs.T
    assert scores[0, 0] > scores[0, 1]


def test_every_kind_of_bad_row_is_located_and_the_rest_lands(tmp_path, embedder, domain) -> None:
    import json

    good = {"id": "ok-1", "name": "Bon", "country": "FR", "sector": "aeronautics",
            "offers": [{"type": "service", "text": "Anodisation de pièces"}]}
    lines = [
        json.dumps(good).encode(),
        json.dumps({**good, "id": "long", "description": "x" * 5000}).encode(),      # oversized field
        json.dumps({**good, "id": "pays", "country": "Narnia"}).encode(),           # unknown country
        json.dumps({**good, "id": "type", "active_cooperations": "lots"}).encode(),  # wrong type
        '{"id": "enc", "name": "Société"}'.encode("latin-1"),                       # wrong encoding
        b'{"id": "broken", ',                                                        # malformed line
        json.dumps({**good, "id": "ok-2"}).encode(),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    index = EmbeddedIndex(tmp_path / "s.sqlite3")
    report = run(path, "members", index, embedder, domain)
    where = {(e["locator"], e["field"]): e["message"] for e in report.errors}
    warned = {(e["locator"], e["field"]): e["message"] for e in report.warnings}
    # Bad values are dropped with a warning naming the field; the records land.
    assert "text_max_chars" in warned[("mixed.jsonl line 2", "description")]
    assert "unknown country" in warned[("mixed.jsonl line 3", "country")]
    assert "integer" in warned[("mixed.jsonl line 4", "active_cooperations")].lower()
    assert "UTF-8" in where[("mixed.jsonl line 5", "_record")]
    assert "malformed JSON" in where[("mixed.jsonl line 6", "_record")]
    assert (report.inserted, report.invalid) == (5, 2)
    assert set(index.store.all_ids("members")) == {"ok-1", "long", "pays", "type", "ok-2"}


def test_duplicate_ids_reported_wherever_they_are(tmp_path, embedder, domain) -> None:
    """A repeated id 299 lines after the first, across batches: the first lands, the later is an error."""
    lines = ["id,name,country,sector,description"] + [
        f"m-{n},Firma {n},DE,aeronautics,Fräsen von Aluminiumteilen" for n in range(300)]
    lines.insert(301, "m-1,Doppelgänger,FR,aeronautics,Usinage de pièces")
    path = tmp_path / "dup.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = EmbeddedIndex(tmp_path / "s.sqlite3")
    report = run(path, "members", index, embedder, domain, batch_size=64)
    assert (report.inserted, report.invalid) == (300, 1)
    (error,) = report.errors
    assert error["locator"] == "dup.csv row 302" and error["field"] == "id" and "dup.csv row 3" in error["message"]
    assert index.get("members", "m-1")["name"] == "Firma 1"
