"""Reindex embedded → Elasticsearch → embedded: docs, hashes and vectors survive the round trip."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexers.reindex import reindex, run_reindex
from service.errors import ConfigurationError
from service.index.base import ProfileFilter
from service.index.elastic import ElasticIndex
from service.index.embedded import EmbeddedIndex
from service.settings import load_settings
from tests.support.index_data import DIMS, MODEL, axis, clusters, members, prefix, profile, same_profile

pytestmark = pytest.mark.elasticsearch


def settings(data_dir: Path, backend: str, es_url: str, index_prefix: str) -> Any:
    return load_settings({"data_dir": data_dir, "backend": backend, "es_url": es_url,
                          "es_index_prefix": index_prefix, "model_name": MODEL}, environ={})


def snapshot(index: Any) -> dict[str, dict[str, Any]]:
    return {kind: {p.id: p for p in index.iter_profiles(kind, batch_size=2)} for kind in ("clusters", "members")}


def test_round_trip_preserves_docs_hashes_and_vectors(tmp_path: Path, es_url: str) -> None:
    index_prefix = prefix()
    first = settings(tmp_path / "a", "embedded", es_url, index_prefix)
    source = EmbeddedIndex(first.store_path)
    source.check_model(MODEL, DIMS)
    source.upsert("clusters", clusters())
    source.upsert("members", members())
    original = snapshot(source)

    es = ElasticIndex.from_settings(settings(tmp_path / "a", "elasticsearch", es_url, index_prefix))
    try:
        assert run_reindex(first, "elasticsearch", batch_size=2, show_progress=False) == {"clusters": 4, "members": 3}
        in_es = snapshot(es)
        assert run_reindex(first, "elasticsearch", batch_size=3, show_progress=False)["clusters"] == 4  # again
        assert len(es.admin.concrete(es.alias("clusters"))) == 1  # the old copy was dropped after the swap
        hits = es.knn("clusters", "offer", axis(1)[None, :], 1, ProfileFilter())[0]
        assert [h.profile_id for h in hits] == ["fr-aero"]

        back = settings(tmp_path / "b", "elasticsearch", es_url, index_prefix)
        assert run_reindex(back, "embedded", batch_size=2, show_progress=False) == {"clusters": 4, "members": 3}
        final = snapshot(EmbeddedIndex(back.store_path))
    finally:
        es.drop()
        es.es.close()
    for copy in (in_es, final):
        for kind, profiles in original.items():
            assert set(copy[kind]) == set(profiles)
            assert all(same_profile(copy[kind][pid], p) for pid, p in profiles.items())


def test_in_place_copy_removes_profiles_the_source_lacks(tmp_path: Path) -> None:
    source, target = EmbeddedIndex(tmp_path / "s.sqlite3"), EmbeddedIndex(tmp_path / "t.sqlite3")
    source.upsert("clusters", clusters())
    target.upsert("clusters", [profile("clusters", "old-one", {("profile", 0): axis(0)}, country="PL")])
    seen: list[tuple[str, int, int]] = []
    assert reindex(source, target, ["clusters"], lambda *a: seen.append(a), batch_size=3) == {"clusters": 4}
    assert target.get("clusters", "old-one") is None and target.count("clusters") == 4
    assert seen == [("clusters", 3, 4), ("clusters", 4, 4)]


def test_reindex_refuses_same_backend_and_mismatched_target(tmp_path: Path, es_url: str) -> None:
    first = settings(tmp_path, "embedded", es_url, prefix())
    with pytest.raises(ConfigurationError, match="already embedded"):
        run_reindex(first, "embedded")
    with pytest.raises(ConfigurationError, match="no vectors"):
        run_reindex(first, "elasticsearch", show_progress=False)
    target = ElasticIndex.from_settings(replace_backend(first))
    try:
        target.check_model(MODEL, DIMS * 2)  # the target prefix already holds 16-dim indices
        source = EmbeddedIndex(first.store_path)
        source.check_model(MODEL, DIMS)
        source.upsert("clusters", clusters())
        with pytest.raises(ConfigurationError, match="16 dimensions"):
            run_reindex(first, "elasticsearch", show_progress=False)
    finally:
        target.drop()
        target.es.close()


def replace_backend(s: Any) -> Any:
    from dataclasses import replace

    return replace(s, backend="elasticsearch")
