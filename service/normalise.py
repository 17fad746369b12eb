"""Normalisers for codes found in profiles: ISO 3166 countries, NACE Rev.2 activities, languages."""
from __future__ import annotations

import gettext
import re
from functools import lru_cache
from typing import Any

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


# Common ways people write the values of closed vocabularies (folded), in en/fr/de/es/it.
_CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "RequestType": {
        "customer": "client", "customers": "client", "clients": "client", "buyer": "client", "buyers": "client",
        "kunde": "client", "kunden": "client", "cliente": "client", "clientes": "client", "clienti": "client",
        "acheteur": "client", "acheteurs": "client", "abnehmer": "client", "compradores": "client",
        "distributors": "distributor", "distributeur": "distributor", "distributeurs": "distributor",
        "vertriebspartner": "distributor", "handler": "distributor", "distribuidor": "distributor",
        "distribuidores": "distributor", "distributore": "distributor", "distributori": "distributor",
        "importer": "distributor", "importateur": "distributor", "reseller": "distributor",
        "suppliers": "supplier", "fournisseur": "supplier", "fournisseurs": "supplier", "lieferant": "supplier",
        "lieferanten": "supplier", "proveedor": "supplier", "proveedores": "supplier", "fornitore": "supplier",
        "fornitori": "supplier", "subcontractor": "supplier", "sous traitant": "supplier", "zulieferer": "supplier",
        "license": "licence", "licensing": "licence", "licensee": "licence", "lizenz": "licence",
        "licencia": "licence", "licenza": "licence",
        "technology": "technology_partner", "partenaire technologique": "technology_partner",
        "technologiepartner": "technology_partner", "socio tecnologico": "technology_partner",
        "partner tecnologico": "technology_partner", "co development": "technology_partner",
        "research": "research_partner", "partenaire de recherche": "research_partner",
        "forschungspartner": "research_partner", "socio de investigacion": "research_partner",
        "partner di ricerca": "research_partner", "r&d": "research_partner",
        "investment": "investor", "investisseur": "investor", "investoren": "investor", "inversor": "investor",
        "investitore": "investor", "funding": "investor",
        "consortium": "consortium_partner", "joint offer": "consortium_partner", "konsortium": "consortium_partner",
        "consorcio": "consortium_partner", "consorzio": "consortium_partner", "joint venture": "consortium_partner",
    },
    "OfferType": {
        "products": "product", "produit": "product", "produkt": "product", "producto": "product",
        "prodotto": "product", "services": "service", "dienstleistung": "service", "servicio": "service",
        "servizio": "service", "prestation": "service", "technologie": "technology", "tecnologia": "technology",
        "license": "licence", "lizenz": "licence", "licencia": "licence", "licenza": "licence",
        "recherche": "research", "forschung": "research", "investigacion": "research", "ricerca": "research",
        "fabrication": "manufacturing", "production": "manufacturing", "fertigung": "manufacturing",
        "produktion": "manufacturing", "fabricacion": "manufacturing", "produzione": "manufacturing",
        "sous traitance": "manufacturing", "vertrieb": "distribution", "distribucion": "distribution",
        "distribuzione": "distribution", "formation": "training", "schulung": "training",
        "formacion": "training", "formazione": "training",
    },
    "LinkStatus": {
        "fort": "strong", "forte": "strong", "stark": "strong", "fuerte": "strong", "present": "strong",
        "faible": "weak", "schwach": "weak", "debil": "weak", "debole": "weak", "partial": "weak",
        "manquant": "missing", "absent": "missing", "fehlt": "missing", "fehlend": "missing",
        "ausente": "missing", "mancante": "missing", "none": "missing", "gap": "missing",
    },
}


def choice_value(enum: type, value: str) -> str | None:
    """The enum value for `value` written as the value itself or a common synonym; None if unknown."""
    folded = fold(value)
    for member in enum:  # type: ignore[attr-defined]
        if folded in (fold(member.value), fold(member.name)):
            return member.value
    aliases = _CHOICE_ALIASES.get(enum.__name__, {})
    return aliases.get(folded) or aliases.get(folded.rstrip("s"))


def sector_for_nace(domain: Any, value: str) -> str | None:
    """The sector template whose NACE classes (its own, then its links') cover a NACE code."""
    code = nace_code(value) if isinstance(value, str) else None
    if code is None:
        return None
    for level in ("sector", "link"):
        for key, sector in domain.sectors.items():
            classes = sector.nace if level == "sector" else [c for link in sector.links for c in link["nace"]]
            if any(c == code or c.startswith(code + ".") or code.startswith(c) for c in classes):
                return key
    return None
