"""Normalisers for codes found in profiles: ISO 3166 countries, NACE Rev.2 activities, languages."""
from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry

from service.domain_config import LANGS, fold

# NACE Rev.2 divisions (2-digit codes) that exist; any class must start with one of them.
_NACE_DIVISIONS = frozenset(
    f"{d:02d}"
    for d in [*range(1, 4), *range(5, 10), *range(10, 34), 35, *range(36, 40), *range(41, 44),
              *range(45, 48), *range(49, 54), 55, 56, *range(58, 64), *range(64, 67), 68,
              *range(69, 76), *range(77, 83), 84, 85, *range(86, 89), *range(90, 94),
              *range(94, 97), 97, 98, 99]
)
_NACE = re.compile(r"^(?:[A-U]\s*)?(\d{2})(?:\.?(\d)(\d)?)?$")
# Names people write that ISO does not list.
_COUNTRY_ALIASES = {"uk": "GB", "england": "GB", "great britain": "GB", "holland": "NL",
                    "czech republic": "CZ", "turkey": "TR", "russia": "RU", "south korea": "KR"}


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    translators = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in LANGS
    }
    for country in pycountry.countries:
        code = country.alpha_2
        names = {country.alpha_2, country.alpha_3, country.name}
        for attr in ("official_name", "common_name"):
            if hasattr(country, attr):
                names.add(getattr(country, attr))
        for translator in translators.values():
            names.add(translator.gettext(country.name))
        for name in names:
            table.setdefault(fold(name), code)
    for name, code in _COUNTRY_ALIASES.items():
        table.setdefault(fold(name), code)
    return table


def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 for a code or a name in en/fr/de/es/it; None if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    found = _country_lookup().get(fold(value.strip()))
    if found is None and value.strip().upper() == "EL":  # Eurostat writes Greece as EL
        return "GR"
    return found


def nace_code(value: str) -> str | None:
    """NACE Rev.2 code in dotted form ('25.62', '25.6', '25'), accepting '2562', 'C25.62'; else None."""
    if not isinstance(value, str):
        return None
    match = _NACE.match(value.strip().upper())
    if not match or match.group(1) not in _NACE_DIVISIONS:
        return None
    division, group, klass = match.groups()
    if group is None:
        return division
    return f"{division}.{group}{klass or ''}"


@lru_cache(maxsize=1)
def _language_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    translators = {
        lang: gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in LANGS
    }
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None)
        if not code:
            continue
        for name in {code, language.alpha_3, language.name}:
            table.setdefault(fold(name), code)
        for translator in translators.values():
            table.setdefault(fold(translator.gettext(language.name)), code)
    return table


def language_code(value: str) -> str | None:
    """ISO 639-1 code for a code or a language name (en/fr/de/es/it); None if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _language_lookup().get(fold(value.strip()))
