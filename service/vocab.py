"""Controlled vocabularies shared by profiles, matching and the API."""
from __future__ import annotations

from enum import StrEnum

from service.matching.phrases import N_, Phrase


class ClusterKind(StrEnum):
    COMPETITIVENESS_CLUSTER = "competitiveness_cluster"
    CLUSTER = "cluster"
    GRAPPE = "grappe"
    COMPETENCE_NETWORK = "competence_network"
    INDUSTRIAL_DISTRICT = "industrial_district"
    SPL = "spl"
    OTHER = "other"


class OrgType(StrEnum):
    SME = "sme"
    LARGE_COMPANY = "large_company"
    RESEARCH_ORGANISATION = "research_organisation"
    SCHOOL = "school"
    OTHER = "other"


# What printed agendas and calendars call each kind of organisation; translated where shown.
ORG_TYPE_NAMES = {OrgType.SME: N_("SME"), OrgType.LARGE_COMPANY: N_("large company"),
                  OrgType.RESEARCH_ORGANISATION: N_("research organisation"), OrgType.SCHOOL: N_("school"),
                  OrgType.OTHER: N_("other organisation")}


def org_type_name(value: str | None) -> str | None:
    """A known organisation type as a translatable phrase; anything else as the organiser wrote it."""
    key = (value or "").strip().casefold().replace(" ", "_").replace("-", "_")
    return Phrase(ORG_TYPE_NAMES[key]) if key in ORG_TYPE_NAMES else value


class SizeBand(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class Stage(StrEnum):
    EMERGING = "emerging"
    GROWTH = "growth"
    MATURE = "mature"
    DECLINING = "declining"


class LinkStatus(StrEnum):
    STRONG = "strong"
    WEAK = "weak"
    MISSING = "missing"


class Visibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    PRIVATE = "private"


class OfferType(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"
    TECHNOLOGY = "technology"
    LICENCE = "licence"
    RESEARCH = "research"
    MANUFACTURING = "manufacturing"
    DISTRIBUTION = "distribution"
    TRAINING = "training"


class RequestType(StrEnum):
    """What a profile seeks; also the cooperation types a profile accepts."""

    CLIENT = "client"
    DISTRIBUTOR = "distributor"
    SUPPLIER = "supplier"
    LICENCE = "licence"
    TECHNOLOGY_PARTNER = "technology_partner"
    RESEARCH_PARTNER = "research_partner"
    INVESTOR = "investor"
    CONSORTIUM_PARTNER = "consortium_partner"


class ProfileKind(StrEnum):
    """The two collections; one name per idea for indexes, routes and fixtures."""

    CLUSTERS = "clusters"
    MEMBERS = "members"
