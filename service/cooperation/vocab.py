"""Vocabularies of the cooperation pipeline: the eight stages of the pôles' own account of
inter-cluster cooperation, identification sources and agreement types."""
from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    STRATEGY = "strategy"
    IDENTIFICATION = "identification"
    VALIDATION = "validation"
    CONTACT = "contact"
    B2B_MEETINGS = "b2b_meetings"
    FIRST_AGREEMENT = "first_agreement"
    JOINT_OPERATIONS = "joint_operations"
    ALLIANCE = "alliance"


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)


def stage_rank(stage: str) -> int:
    return STAGES.index(stage)


class Source(StrEnum):
    """How the partner was identified."""

    OBVIOUS = "obvious"
    METHODICAL = "methodical"
    ENCOUNTERED = "encountered"
    MATCHED = "matched_by_maillon"


class AgreementType(StrEnum):
    COMMERCIAL = "commercial"
    LICENCE = "licence"
    TECHNOLOGY = "technology"
    STUDENT_EXCHANGE = "student_exchange"
    RESEARCHER_EXCHANGE = "researcher_exchange"


PARTY_KINDS = ("clusters", "members")
