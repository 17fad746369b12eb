"""Domain configuration files in config/: value chains, cooperation types, limits; validated once."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.errors import ConfigurationError
from service.matching.phrases import Named
from service.vocab import OfferType, RequestType

LANGS = ("en", "fr", "de", "es", "it")


def fold(text: str) -> str:
    """Lowercase, strip accents and collapse separators: the key for fuzzy vocabulary lookups."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").replace("/", " ").split())


class _LinkSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    aliases = fields.List(fields.String(), load_default=list)
    nace = fields.List(fields.String(), load_default=list)


class _SectorSchema(Schema):
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    nace = fields.List(fields.String(), load_default=list)
    links = fields.List(fields.Nested(_LinkSchema), required=True, validate=validate.Length(min=2))

    @validates_schema
    def unique_links(self, data: dict, **_: Any) -> None:
        keys = [link["key"] for link in data["links"]]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValidationError(f"duplicate link keys {dupes}", "links")


class _ValueChainsSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    sectors = fields.Dict(keys=fields.String(), values=fields.Nested(_SectorSchema), required=True)


class _CooperationTypeSchema(Schema):
    family = fields.String(
        required=True, validate=validate.OneOf(["commercial", "technology", "research", "financial"])
    )
    reciprocal = fields.Boolean(required=True)
    reverse = fields.Boolean(required=True)
    answered_by = fields.List(fields.String(validate=validate.OneOf([t.value for t in OfferType])))
    counterparts = fields.List(fields.String(validate=validate.OneOf([t.value for t in RequestType])),
                               load_default=list)


class _CooperationSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    cooperation_types = fields.Dict(
        keys=fields.String(validate=validate.OneOf([t.value for t in RequestType])),
        values=fields.Nested(_CooperationTypeSchema),
        required=True,
    )

    @validates_schema
    def all_types(self, data: dict, **_: Any) -> None:
        missing = sorted({t.value for t in RequestType} - set(data["cooperation_types"]))
        if missing:
            raise ValidationError(f"cooperation types not configured: {missing}", "cooperation_types")


class _CountrySchema(Schema):
    at = fields.List(fields.Float(), required=True, validate=validate.Length(equal=2))
    languages = fields.List(fields.String(), load_default=list)


class _CountriesSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    countries = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
                            values=fields.Nested(_CountrySchema), required=True)


class _LimitsInnerSchema(Schema):
    text_max_chars = fields.Integer(required=True, validate=validate.Range(min=1))
    short_text_max_chars = fields.Integer(required=True, validate=validate.Range(min=1))
    list_max_items = fields.Integer(required=True, validate=validate.Range(min=1))
    records_per_file = fields.Integer(required=True, validate=validate.Range(min=1))


class _LimitsSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    limits = fields.Nested(_LimitsInnerSchema, required=True)


@dataclass(frozen=True)
class Sector:
    key: str
    labels: dict[str, str]
    nace: list[str]
    links: list[dict[str, Any]]

    def link_keys(self) -> list[str]:
        return [link["key"] for link in self.links]

    def link_label(self, key: str, lang: str = "en") -> str:
        for link in self.links:
            if link["key"] == key:
                return link["labels"].get(lang) or link["labels"].get("en") or key
        return key


@dataclass(frozen=True)
class DomainConfig:
    sectors: dict[str, Sector]
    cooperation_types: dict[str, dict[str, Any]]
    limits: dict[str, int]
    matching: dict[str, Any] = field(default_factory=dict)
    countries: dict[str, dict[str, Any]] = field(default_factory=dict)
    _link_lookup: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    _sector_lookup: dict[str, str] = field(default_factory=dict, repr=False)

    def resolve_sector(self, name: str) -> str | None:
        """A sector key from its key, a label in any language, or None."""
        return self._sector_lookup.get(fold(name))

    def resolve_link(self, sector: str, name: str) -> str | None:
        """A link key of `sector` from its key, label or alias in any language, or None."""
        return self._link_lookup.get(sector, {}).get(fold(name))

    def link_label(self, sector: str | None, key: str, lang: str = "en") -> str:
        link = self._template_link(sector, key)
        if link is None:
            return key.replace("_", " ")
        return link["labels"].get(lang) or link["labels"].get("en") or key

    def link_name(self, sector: str | None, key: str) -> str:
        """A link's label that pages, agendas and e-mails can show in their reader's language."""
        link = self._template_link(sector, key)
        return key.replace("_", " ") if link is None else Named(link["labels"], key)

    def _template_link(self, sector: str | None, key: str) -> dict[str, Any] | None:
        """The template link `key`, looked for in `sector` first, then in every sector."""
        for found in ([self.sectors[sector]] if sector in self.sectors else []) + list(self.sectors.values()):
            for link in found.links:
                if link["key"] == key:
                    return link
        return None


def _load_yaml(path: Path, schema: Schema) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"{path}: configuration file is missing")
    try:
        # libyaml's safe loader when built in: the same documents, 6x faster at every start
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return schema.load(raw or {})
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: invalid: {_flatten(exc.messages)}", exc.messages) from exc


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}." if prefix or k else "") for k, v in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: {' '.join(messages)}"
    return f"{prefix.rstrip('.')}: {messages}"


def load_domain(config_dir: Path) -> DomainConfig:
    """Read and validate every domain file in `config_dir`; errors name the file and field."""
    chains = _load_yaml(config_dir / "value_chains.yaml", _ValueChainsSchema())
    coop = _load_yaml(config_dir / "cooperation.yaml", _CooperationSchema())
    limits = _load_yaml(config_dir / "limits.yaml", _LimitsSchema())
    countries = _load_yaml(config_dir / "countries.yaml", _CountriesSchema())["countries"]
    from service.matching.weights import load_matching_config  # local: matching imports this module

    matching = load_matching_config(config_dir / "matching.yaml")  # required: no match without weights
    sectors = {
        key: Sector(key, s["labels"], s["nace"], s["links"]) for key, s in chains["sectors"].items()
    }
    sector_lookup: dict[str, str] = {}
    link_lookup: dict[str, dict[str, str]] = {}
    for key, sector in sectors.items():
        for name in [key, *sector.labels.values()]:
            sector_lookup.setdefault(fold(name), key)
        table: dict[str, str] = {}
        for link in sector.links:
            for name in [link["key"], *link["labels"].values(), *link["aliases"]]:
                table.setdefault(fold(name), link["key"])
        link_lookup[key] = table
    return DomainConfig(
        sectors=sectors,
        cooperation_types=coop["cooperation_types"],
        limits=limits["limits"],
        matching=matching,
        countries=countries,
        _link_lookup=link_lookup,
        _sector_lookup=sector_lookup,
    )
