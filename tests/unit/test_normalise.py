from __future__ import annotations

import pytest

from service.normalise import country_code, language_code, nace_code


@pytest.mark.parametrize(
    ("value", "code"),
    [("FR", "FR"), ("fra", "FR"), ("France", "FR"), ("Allemagne", "DE"), ("Deutschland", "DE"),
     ("España", "ES"), ("Espagne", "ES"), ("Italia", "IT"), ("Pays-Bas", "NL"), ("uk", "GB"),
     ("EL", "GR"), (" belgique ", "BE"), ("Atlantis", None), ("", None)],
)
def test_country_code(value: str, code: str | None) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [("25.62", "25.62"), ("2562", "25.62"), ("C25.62", "25.62"), ("25.6", "25.6"), ("25", "25"),
     ("00.11", None), ("4", None), ("25.623", None), ("abc", None)],
)
def test_nace_code(value: str, code: str | None) -> None:
    assert nace_code(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [("fr", "fr"), ("French", "fr"), ("français", "fr"), ("Deutsch", "de"), ("español", "es"), ("xx", None)],
)
def test_language_code(value: str, code: str | None) -> None:
    assert language_code(value) == code
