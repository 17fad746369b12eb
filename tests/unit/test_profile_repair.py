"""Open-world loading: only a structurally unusable record is rejected; anything else lands with
warnings that name the field."""
from __future__ import annotations

from service.profile_repair import load_profile
from service.profile_schemas import ClusterSchema, MemberSchema


def fields_of(entries: list[dict[str, str]]) -> set[str]:
    return {e["field"] for e in entries}


def test_bad_values_are_dropped_with_a_warning_naming_the_field(domain) -> None:
    doc, warnings, errors = load_profile(MemberSchema(domain=domain), {
        "id": "de-1", "name": "Prüflabor Nord", "country": "Atlantis", "sector": "Prüfdienste",
        "markets": ["FR", "Narnia"], "cooperation_types": ["client", "world peace"], "employees": 45,
        "offers": [{"type": "gift", "text": "Ultraschallprüfung von CFK-Bauteilen", "price": "on request"},
                   {"type": "service"}],
        "value_chain_links": ["Zerstörungsfreie Prüfung"]})
    assert errors == []
    assert {"country", "markets.1", "cooperation_types.1", "employees", "offers.0.type", "offers.0.price",
            "offers.1.text", "sector"} <= fields_of(warnings)
    assert doc["markets"] == ["FR"] and doc["cooperation_types"] == ["client"]
    assert doc["offers"] == [{"type": None, "text": "Ultraschallprüfung von CFK-Bauteilen", "link": None}]
    assert doc["country"] is None and doc["sector"] == "Prüfdienste"


def test_value_chain_entry_without_status_is_dropped_alone(domain) -> None:
    doc, warnings, errors = load_profile(ClusterSchema(domain=domain), {
        "id": "c1", "name": "Cluster", "country": "IT", "sector": "meccanica",
        "value_chain": [{"link": "fresatura", "status": "sometimes"}, {"link": "fonderia", "status": "forte"}]})
    assert errors == [] and "value_chain.0.status" in fields_of(warnings)
    assert [(v["label"], v["status"]) for v in doc["value_chain"]] == [("fonderia", "strong")]


def test_unusable_records_are_rejected(domain) -> None:
    schema = MemberSchema(domain=domain)
    assert fields_of(load_profile(schema, {"name": "no id", "description": "x"})[2]) == {"id"}
    assert fields_of(load_profile(schema, {"id": "a", "description": "no name"})[2]) == {"name"}
    doc, _, errors = load_profile(schema, {"id": "a", "name": "Empty", "country": "FR"})
    assert doc is None and "nothing to match on" in errors[0]["message"]
    assert load_profile(schema, ["not", "a", "record"])[2][0]["field"] == "_record"
