"""The bundled sample data: sizes, coverage and consistency with the value-chain templates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from indexers.sample_data import generate, showcases
from service.domain_config import fold
from service.vocab import OfferType, RequestType

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "indexers" / "sample_data"
CLUSTER_KINDS = {
    "competitiveness_cluster",
    "cluster",
    "grappe",
    "competence_network",
    "industrial_district",
    "spl",
    "other",
}
OFFER_TYPES = {t.value for t in OfferType}
REQUEST_TYPES = {t.value for t in RequestType}


def _read(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def chains() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "config" / "value_chains.yaml").read_text(encoding="utf-8"))[
        "sectors"
    ]


@pytest.fixture(scope="module")
def clusters() -> list[dict[str, Any]]:
    return _read("clusters.jsonl")


@pytest.fixture(scope="module")
def members() -> list[dict[str, Any]]:
    return _read("members.jsonl")


def test_value_chain_templates_are_complete(chains: dict[str, Any]) -> None:
    assert len(chains) >= 8
    for sector in chains.values():
        assert set(sector["labels"]) >= {"en", "fr", "de", "es", "it"}
        assert 5 <= len(sector["links"]) <= 9
        names: dict[str, str] = {}
        for link in sector["links"]:
            assert set(link["labels"]) >= {"en", "fr", "de", "es", "it"}
            assert link["nace"] and all(len(code) == 5 and code[2] == "." for code in link["nace"])
            assert all(alias == alias.lower() for alias in link["aliases"])
            for name in [link["key"], *link["labels"].values(), *link["aliases"]]:
                # a name must resolve to one link only within its sector
                assert names.setdefault(fold(name), link["key"]) == link["key"], name


def test_counts_and_coverage(
    clusters: list[dict[str, Any]], members: list[dict[str, Any]], chains: dict[str, Any]
) -> None:
    assert len(clusters) >= 200
    assert len({c["country"] for c in clusters}) >= 8
    assert len({c["sector"] for c in clusters}) >= 6
    assert {c["sector"] for c in clusters} == set(chains)
    assert len(members) >= 2000
    assert len({m["language"] for m in members}) >= 4
    assert len({c["id"] for c in clusters}) == len(clusters)
    assert len({m["id"] for m in members}) == len(members)
    assert Counter(m["org_type"] for m in members).most_common(1)[0][0] == "sme"
    assert (DATA / "members.jsonl").stat().st_size < 6_500_000


def test_clusters_use_template_links(
    clusters: list[dict[str, Any]], chains: dict[str, Any]
) -> None:
    for cluster in clusters:
        keys = [link["key"] for link in chains[cluster["sector"]]["links"]]
        assert [e["link"] for e in cluster["value_chain"]] == keys, cluster["id"]
        assert {e["status"] for e in cluster["value_chain"]} <= {"strong", "weak", "missing"}
        assert cluster["kind"] in CLUSTER_KINDS
        assert cluster["contact"]["email"].endswith(".example.org")
        for item in cluster["offers"] + cluster["requests"]:
            assert item["link"] is None or item["link"] in keys


def test_members_are_consistent_with_their_cluster(
    clusters: list[dict[str, Any]], members: list[dict[str, Any]], chains: dict[str, Any]
) -> None:
    by_id = {c["id"]: c for c in clusters}
    occupied: dict[str, Counter[str]] = {c["id"]: Counter() for c in clusters}
    for member in members:
        assert member["clusters"] and all(cid in by_id for cid in member["clusters"]), member["id"]
        cluster = by_id[member["clusters"][0]]
        assert member["country"] == cluster["country"] and member["sector"] == cluster["sector"]
        keys = {link["key"] for link in chains[member["sector"]]["links"]}
        status = {e["link"]: e["status"] for e in cluster["value_chain"]}
        assert 1 <= len(member["value_chain_links"]) <= 2
        for link in member["value_chain_links"]:
            assert link in keys
            assert status[link] != "missing", (member["id"], link)
            occupied[cluster["id"]][link] += 1
        for offer in member["offers"]:
            assert offer["type"] in OFFER_TYPES and offer["text"]
            assert offer["link"] is None or offer["link"] in member["value_chain_links"]
        for request in member["requests"]:
            assert request["type"] in REQUEST_TYPES and request["text"]
            assert request["link"] is None or request["link"] in keys
        assert member["visibility"]["contact"] == "private"
        assert 0 <= member["active_cooperations"] <= 8
    for cid, counts in occupied.items():
        strong = [e["link"] for e in by_id[cid]["value_chain"] if e["status"] == "strong"]
        assert all(counts[link] >= 2 for link in strong), cid


def test_requests_often_target_gaps(
    clusters: list[dict[str, Any]], members: list[dict[str, Any]]
) -> None:
    status = {c["id"]: {e["link"]: e["status"] for e in c["value_chain"]} for c in clusters}
    requests = [(m, r) for m in members for r in m["requests"] if r["link"]]
    gaps = [r for m, r in requests if status[m["clusters"][0]][r["link"]] in ("missing", "weak")]
    assert len(gaps) / len(requests) > 0.4


def test_showcases_are_present(
    clusters: list[dict[str, Any]], members: list[dict[str, Any]]
) -> None:
    by_id = {c["id"]: c for c in clusters}
    members_by_id = {m["id"]: m for m in members}
    fr = {e["link"]: e["status"] for e in by_id["fr-pole-aeronautique-occitanie"]["value_chain"]}
    de = {
        e["link"]: e["status"] for e in by_id["de-kompetenznetz-luftfahrt-schwaben"]["value_chain"]
    }
    assert fr["surface_treatment"] == "missing" and de["surface_treatment"] == "strong"
    for member_id in showcases.MEMBERS:
        assert member_id in members_by_id
    need = members_by_id["fr-pole-aeronautique-occitanie-0001"]["requests"][0]
    offer = members_by_id["de-kompetenznetz-luftfahrt-schwaben-0001"]["offers"][0]
    assert need["link"] == offer["link"] == "surface_treatment"
    assert members_by_id["fr-pole-aeronautique-occitanie-0001"]["language"] == "fr"
    assert members_by_id["de-kompetenznetz-luftfahrt-schwaben-0001"]["language"] == "de"


def test_generator_is_deterministic_and_committed_output_is_current(tmp_path: Path) -> None:
    generate.generate(generate.DEFAULT_SEED, ROOT / "config" / "value_chains.yaml", tmp_path)
    for name in ("clusters.jsonl", "members.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name} is stale: run python indexers/sample_data/generate.py"
        )
