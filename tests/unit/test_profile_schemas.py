from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from service.profile_schemas import ClusterSchema, MemberSchema, flatten_errors


def cluster(**extra: Any) -> dict[str, Any]:
    return {"id": "fr-aero", "name": "Aéro", "country": "France", "sector": "Aéronautique",
            "value_chain": [{"link": "Traitement de surface", "status": "missing", "strategic": True}],
            **extra}


def member(**extra: Any) -> dict[str, Any]:
    return {"id": "fr-m-1", "name": "Méca", "country": "FR", "sector": "aeronautics",
            "offers": [{"type": "manufacturing", "text": "Usinage 5 axes", "link": "usinage"}], **extra}


def errors_of(schema: Any, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        schema.load(data)
    return {e["field"]: e["message"] for e in flatten_errors(info.value.messages)}


def test_cluster_normalised(domain) -> None:
    doc = ClusterSchema(domain=domain).load(cluster(target_markets=["Allemagne", "ESP"], languages=["French"]))
    assert doc["country"] == "FR"
    assert doc["sector"] == "aeronautics"
    assert doc["value_chain"] == [{"link": "surface_treatment", "status": "missing", "strategic": True,
                                   "label": "Traitement de surface", "canonical": "surface_treatment",
                                   "confidence": 1.0}]
    assert doc["target_markets"] == ["DE", "ES"]
    assert doc["languages"] == ["fr"]
    assert doc["visibility"]["contact"] == "private"


def test_member_links_and_nace(domain) -> None:
    doc = MemberSchema(domain=domain).load(member(nace=["2562", "C25.61"], value_chain_links=["Usinage"]))
    assert doc["nace"] == ["25.62", "25.61"]
    assert doc["offers"][0]["link"] == "machining"
    assert doc["value_chain_links"] == ["machining"]
    assert doc["link_labels"] == [{"label": "Usinage", "canonical": "machining", "confidence": 1.0}]
    assert doc["org_type"] == "sme"


def test_open_world_values_land_as_written(domain) -> None:
    """Free-text sectors and links are kept (the model maps links at ingest); synonyms of closed
    vocabularies in other languages are understood; a NACE code gives the sector."""
    doc = ClusterSchema(domain=domain).load(cluster(
        sector="Zerstörungsfreie Prüfung", cooperation_types=["Vertriebspartner", "clientes"],
        value_chain=[{"link": "contrôle non destructif par ultrasons", "status": "faible"},
                     {"link": "Kryotechnik für Raumfahrt", "status": "stark"}]))
    assert doc["sector"] == "Zerstörungsfreie Prüfung"
    assert doc["_warnings"][0]["field"] == "sector"
    assert doc["cooperation_types"] == ["distributor", "client"]
    first, second = doc["value_chain"]
    assert (first["canonical"], first["status"]) == ("testing_certification", "weak")
    assert first["link"] == "testing_certification"
    assert first["label"] == "contrôle non destructif par ultrasons"
    assert (second["canonical"], second["confidence"], second["link"]) == (None, None, "Kryotechnik für Raumfahrt")
    assert MemberSchema(domain=domain).load(member(sector="C25.61"))["sector"] in domain.sectors


def test_research_organisations_and_schools_are_members(domain) -> None:
    for org_type in ("research_organisation", "school"):
        assert MemberSchema(domain=domain).load(member(org_type=org_type))["org_type"] == org_type


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"country": "Atlantis"}, "country", "unknown country"),
        ({"active_cooperations": "many"}, "active_cooperations", "integer"),
        ({"offers": [{"type": "gift", "text": "free"}]}, "offers.0.type", "unknown value 'gift'"),
        ({"nace": ["99.999"]}, "nace.0", "NACE"),
        ({"visibility": {"secret_sauce": "private"}}, "visibility", "unknown fields"),
        ({"visibility": {"contact": "friends"}}, "visibility.contact.value", "Must be one of"),
        ({"colour": "blue"}, "colour", "Unknown field"),
        ({"id": "has space"}, "id", "invalid id"),
        ({"contact": {"email": "not-an-email"}}, "contact.email", "email"),
    ],
)
def test_member_errors_name_the_field(domain, change: dict[str, Any], field: str, words: str) -> None:
    errors = errors_of(MemberSchema(domain=domain), member(**change))
    assert field in errors, errors
    assert words.lower() in errors[field].lower()


def test_oversized_fields_name_the_limit(domain) -> None:
    limit = domain.limits["text_max_chars"]
    errors = errors_of(MemberSchema(domain=domain), member(description="x" * (limit + 1),
                                                           competences=["c"] * 60))
    assert "text_max_chars" in errors["description"]
    assert "list_max_items" in errors["competences"]


def test_oversized_offer_text(domain) -> None:
    limit = domain.limits["text_max_chars"]
    errors = errors_of(MemberSchema(domain=domain), member(offers=[{"type": "product", "text": "y" * (limit + 5)}]))
    assert "text_max_chars" in errors["offers.0.text"]
