"""Hand-written demo showcases planted in the generated sample: value-chain gaps and answers."""

from __future__ import annotations

from typing import Any

# Cluster specs: fixed id/name/place and forced link statuses (status, strategic).
CLUSTERS: list[dict[str, Any]] = [
    {
        "id": "fr-pole-aeronautique-occitanie",
        "name": "Pôle Aéronautique Occitanie",
        "country": "FR",
        "region": "Occitanie",
        "sector": "aeronautics",
        "kind": "competitiveness_cluster",
        "chain": {
            "surface_treatment": ("missing", True),
            "machining": ("strong", True),
            "composites": ("strong", False),
            "design_engineering": ("strong", False),
            "testing_certification": ("weak", False),
        },
        "target_markets": ["DE", "ES", "US"],
        "partner_countries": ["DE", "ES", "IT"],
    },
    {
        "id": "de-kompetenznetz-luftfahrt-schwaben",
        "name": "Kompetenznetz Luft- und Raumfahrt Schwaben",
        "country": "DE",
        "region": "Schwaben",
        "sector": "aeronautics",
        "kind": "competence_network",
        "chain": {
            "surface_treatment": ("strong", True),
            "machining": ("missing", True),
            "testing_certification": ("strong", False),
            "composites": ("weak", False),
        },
        "target_markets": ["FR", "US"],
        "partner_countries": ["FR", "AT", "IT"],
    },
    {
        "id": "fr-grappe-spiritueux-charentes",
        "name": "Grappe Spiritueux Charentes",
        "country": "FR",
        "region": "Charentes",
        "sector": "wine_and_spirits",
        "kind": "grappe",
        "chain": {
            "closures": ("missing", True),
            "cooperage": ("strong", True),
            "winemaking_distilling": ("strong", True),
            "bottles": ("weak", False),
        },
        "target_markets": ["US", "CN", "DE"],
        "partner_countries": ["PT", "ES"],
    },
    {
        "id": "pt-norte-cork-and-closures-cluster",
        "name": "Norte Cork and Closures Cluster",
        "country": "PT",
        "region": "Norte",
        "sector": "wine_and_spirits",
        "kind": "cluster",
        "chain": {
            "closures": ("strong", True),
            "packaging": ("strong", False),
            "cooperage": ("weak", False),
            "labels": ("missing", False),
        },
        "target_markets": ["FR", "IT", "US"],
        "partner_countries": ["FR", "ES"],
    },
]

# Member overrides: member 0001 of each showcase cluster.
MEMBERS: dict[str, dict[str, Any]] = {
    "fr-pole-aeronautique-occitanie-0001": {
        "name": "Mécanique de Précision Garonne SAS",
        "city": "Toulouse",
        "org_type": "sme",
        "size_band": "small",
        "value_chain_links": ["machining"],
        "nace": ["25.62"],
        "description": "Mécanique de Précision Garonne — PME (Toulouse, Occitanie). "
        "Usinage 5 axes de "
        "pièces aéronautiques en titane et en aluminium pour les avionneurs et "
        "équipementiers de rang 1. Certifications : ISO 9001, EN 9100.",
        "offers": [
            {
                "type": "manufacturing",
                "link": "machining",
                "text": "Usinage 5 axes de pièces aéronautiques en titane et en aluminium, du "
                "prototype à la série, certifié EN 9100.",
            }
        ],
        "requests": [
            {
                "type": "supplier",
                "link": "surface_treatment",
                "text": "Recherche un partenaire européen pour l'anodisation et la peinture de nos "
                "pièces aéronautiques en aluminium usinées (séries de 50 à 500 pièces), "
                "qualifié Nadcap.",
            }
        ],
        "certifications": ["ISO 9001", "EN 9100"],
        "target_markets": ["DE", "ES"],
        "cooperation_types": ["supplier", "client", "technology_partner"],
        "language": "fr",
    },
    "de-kompetenznetz-luftfahrt-schwaben-0001": {
        "name": "Schwaben Oberflächentechnik GmbH",
        "city": "Augsburg",
        "org_type": "sme",
        "size_band": "medium",
        "value_chain_links": ["surface_treatment"],
        "nace": ["25.61"],
        "description": "Schwaben Oberflächentechnik — mittelständisches Unternehmen (Augsburg, "
        "Schwaben). Eloxieren, Anodisieren und Lackieren von Aluminiumbauteilen für "
        "Flugzeughersteller und Tier-1-Zulieferer. Zertifizierungen: ISO 9001, EN 9100, "
        "Nadcap.",
        "offers": [
            {
                "type": "service",
                "link": "surface_treatment",
                "text": "Eloxieren, chromfreies Anodisieren und Lackieren von "
                "Aluminiumbauteilen für "
                "die Luftfahrt, Nadcap-zertifiziert, Klein- und Mittelserien.",
            }
        ],
        "requests": [
            {
                "type": "supplier",
                "link": "machining",
                "text": "Suche Zulieferer für 5-Achs-Fräsen von Titan- und Aluminiumbauteilen für "
                "die Luftfahrt, zertifiziert nach EN 9100.",
            },
            {
                "type": "client",
                "link": "surface_treatment",
                "text": "Suche neue Kunden in Frankreich für die Oberflächenbehandlung von "
                "Luftfahrtbauteilen aus Aluminium.",
            },
        ],
        "certifications": ["ISO 9001", "EN 9100", "Nadcap"],
        "target_markets": ["FR", "ES"],
        "cooperation_types": ["client", "supplier", "technology_partner"],
        "language": "de",
    },
    "fr-grappe-spiritueux-charentes-0001": {
        "name": "Distillerie du Val de Charente SAS",
        "city": "Jarnac",
        "org_type": "sme",
        "size_band": "small",
        "value_chain_links": ["winemaking_distilling"],
        "nace": ["11.01"],
        "description": "Distillerie du Val de Charente — PME (Jarnac, Charentes). Distillation en "
        "alambic charentais et vieillissement d'eaux-de-vie de cognac en fûts de chêne. "
        "Certifications : ISO 22000.",
        "offers": [
            {
                "type": "product",
                "link": "winemaking_distilling",
                "text": "Eaux-de-vie de cognac distillées en alambic charentais "
                "et vieillies en fûts "
                "de chêne, pour négociants et marques premium.",
            }
        ],
        "requests": [
            {
                "type": "supplier",
                "link": "closures",
                "text": "Recherche un fabricant de bouchons à tête en liège naturel "
                "pour nos cognacs "
                "premium (50 000 bouchons par an), avec personnalisation de la tête.",
            }
        ],
        "certifications": ["ISO 22000"],
        "target_markets": ["US", "CN"],
        "cooperation_types": ["supplier", "distributor", "client"],
        "language": "fr",
    },
    "pt-norte-cork-and-closures-cluster-0001": {
        "name": "Corticeira Feira Rolhas Lda.",
        "city": "Santa Maria da Feira",
        "org_type": "sme",
        "size_band": "medium",
        "value_chain_links": ["closures"],
        "nace": ["16.29"],
        "description": "Corticeira Feira Rolhas — medium-sized company "
        "(Santa Maria da Feira, Norte). "
        "Natural cork and bar-top stoppers for wine and spirits producers. "
        "Certifications: FSC, Systecode, ISO 22000.",
        "offers": [
            {
                "type": "product",
                "link": "closures",
                "text": "Natural cork and bar-top stoppers for premium spirits and wines, custom "
                "printed heads, from 10,000 to 1 million units a year.",
            }
        ],
        "requests": [
            {
                "type": "client",
                "link": "closures",
                "text": "Looking for new customers in France among cognac and armagnac houses for "
                "bar-top cork stoppers.",
            }
        ],
        "certifications": ["FSC", "Systecode", "ISO 22000"],
        "target_markets": ["FR", "US"],
        "cooperation_types": ["client", "distributor", "technology_partner"],
        "language": "en",
    },
}


def pinned_links() -> dict[str, str]:
    """Member id -> the link its showcase occupies, so the generator plans the slot for it."""
    return {member_id: spec["value_chain_links"][0] for member_id, spec in MEMBERS.items()}


def member_override(member: dict[str, Any]) -> dict[str, Any]:
    """The member with its showcase fields applied (unchanged if it is not a showcase)."""
    spec = MEMBERS.get(member["id"])
    if not spec:
        return member
    merged = {**member, **spec}
    merged["markets"] = [member["country"]] + [
        m for m in member["markets"] if m != member["country"]
    ][:2]
    merged["target_markets"] = [m for m in spec["target_markets"] if m not in merged["markets"]]
    return merged
