"""Marshmallow schemas for cluster and member profiles: validation and normalisation of records."""
from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from service.domain_config import DomainConfig, fold
from service.normalise import choice_value, country_code, language_code, nace_code, sector_for_nace
from service.vocab import (
    ClusterKind,
    LinkStatus,
    OfferType,
    OrgType,
    RequestType,
    SizeBand,
    Stage,
    Visibility,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# Fields that hold long free text; every other string is a short one (limits.yaml).
LONG_TEXT_FIELDS = frozenset({"description", "text", "governance"})
# Contact details are private unless the owner says otherwise.
DEFAULT_VISIBILITY = {"contact": Visibility.PRIVATE.value}
QUALIFIED = 0.95  # confidence of a known link name found inside a longer label


def _one_of(enum: type) -> validate.OneOf:
    return validate.OneOf([e.value for e in enum])


class CountryField(fields.String):
    """ISO 3166-1 alpha-2, accepting alpha-3 and names in en/fr/de/es/it."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        code = country_code(text)
        if code is None:
            raise ValidationError(f"unknown country {text!r} (ISO 3166 code or name expected)")
        return code


class LanguageField(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        code = language_code(text)
        if code is None:
            raise ValidationError(f"unknown language {text!r} (ISO 639-1 code expected)")
        return code


class NaceField(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        code = nace_code(text)
        if code is None:
            raise ValidationError(f"not a NACE Rev.2 code: {text!r} (e.g. '25.62')")
        return code


class ChoiceField(fields.String):
    """A value of a closed vocabulary, also accepted as a common synonym in en/fr/de/es/it."""

    def __init__(self, enum: type, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enum = enum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        found = choice_value(self.enum, text)
        if found is None:
            raise ValidationError(f"unknown value {text!r}; known: {[e.value for e in self.enum]}")
        return found


class OfferSchema(Schema):
    class Meta:
        unknown = RAISE

    type = ChoiceField(OfferType, load_default=None, allow_none=True)
    text = fields.String(required=True, validate=validate.Length(min=3))
    link = fields.String(load_default=None, allow_none=True)


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE

    type = ChoiceField(RequestType, load_default=None, allow_none=True)
    text = fields.String(required=True, validate=validate.Length(min=3))
    link = fields.String(load_default=None, allow_none=True)


class ValueChainLinkSchema(Schema):
    """A link as written (`link`: a template key, label or any free text) and, once normalised,
    the canonical template key it maps to (None for a free link) with the mapping's confidence."""

    class Meta:
        unknown = RAISE

    link = fields.String(required=True, validate=validate.Length(min=2))
    status = ChoiceField(LinkStatus, required=True)
    strategic = fields.Boolean(load_default=False)
    label = fields.String(dump_only=True)
    canonical = fields.String(dump_only=True, allow_none=True)
    confidence = fields.Float(dump_only=True, allow_none=True)


class ContactSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class _ProfileSchema(Schema):
    """Fields common to clusters and members. `domain` resolves sectors and value-chain links."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(
        ID_PATTERN, error="invalid id: use letters, digits and . _ : - (max 128)"))
    name = fields.String(required=True, validate=validate.Length(min=1))
    country = CountryField(load_default=None, allow_none=True)
    region = fields.String(load_default=None, allow_none=True)
    sector = fields.String(load_default=None, allow_none=True)
    description = fields.String(load_default="")
    language = LanguageField(load_default=None, allow_none=True)
    languages = fields.List(LanguageField(), load_default=list)
    target_markets = fields.List(CountryField(), load_default=list)
    cooperation_types = fields.List(ChoiceField(RequestType), load_default=list)
    offers = fields.List(fields.Nested(OfferSchema), load_default=list)
    requests = fields.List(fields.Nested(RequestSchema), load_default=list)
    contact = fields.Nested(ContactSchema, load_default=None, allow_none=True)
    visibility = fields.Dict(
        keys=fields.String(), values=fields.String(validate=_one_of(Visibility)), load_default=dict
    )

    def __init__(self, *args: Any, domain: DomainConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.domain = domain

    @pre_load
    def drop_empty(self, data: Any, **_: Any) -> Any:
        # CSV cells and sparse JSON carry "" or null for "not given": treat both as absent.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None and v != ""}
        return data

    @validates_schema
    def check_limits_and_refs(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, Any] = {}
        if self.domain is not None:
            errors.update(_size_errors(data, self.domain.limits) or {})
        unknown = sorted(set(data.get("visibility", {})) - set(self.fields))
        if unknown:
            errors["visibility"] = [f"unknown fields {unknown}"]
        if errors:
            raise ValidationError(errors)

    def _link_lists(self) -> list[tuple[str, str | None]]:
        return [("offers", "link"), ("requests", "link")]

    @post_load
    def normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Sector and links to template keys where they are known; anything else is kept as
        written (free text) with a warning, never rejected. Warnings go to `_warnings`."""
        warnings: list[dict[str, str]] = []
        if self.domain is not None:
            sector = self._sector(data, warnings)
            for list_name, key in self._link_lists():
                items = data.get(list_name) or []
                for i, item in enumerate(items):
                    if isinstance(item, dict) and key == "link" and list_name == "value_chain":
                        item.update(self._link(sector, item["link"]))
                        item["link"] = item["canonical"] or item["label"]
                    elif isinstance(item, dict):
                        if item.get(key):
                            item[key] = self._link(sector, item[key])["canonical"] or item[key].strip()
                    elif item:
                        info = self._link(sector, item)
                        data.setdefault("link_labels", []).append(info)
                        items[i] = info["canonical"] or info["label"]
        data["visibility"] = {**DEFAULT_VISIBILITY, **data.get("visibility", {})}
        if warnings:
            data["_warnings"] = warnings
        return data

    def _sector(self, data: dict[str, Any], warnings: list[dict[str, str]]) -> str | None:
        assert self.domain is not None
        text = (data.get("sector") or "").strip()
        codes = [text] + list(data.get("nace") or [])
        key = self.domain.resolve_sector(text) if text else None
        key = key or next((found for code in codes if (found := sector_for_nace(self.domain, code))), None)
        if key is None and text:
            warnings.append({"field": "sector", "message": f"sector {text!r} is not one of the templates "
                             f"{sorted(self.domain.sectors)}: kept as free text"})
        data["sector"] = key or text or None
        return key

    def _link(self, sector: str | None, name: str) -> dict[str, Any]:
        """The template key of a link name when it is a key, label or alias (confidence 1);
        otherwise the canonical key stays open, for the model to decide at ingest."""
        assert self.domain is not None
        key = self.domain.resolve_link(sector, name) if sector else None
        if key is None:
            key = next((k for s in self.domain.sectors if (k := self.domain.resolve_link(s, name))), None)
        if key is None:  # a known name of several words with a qualifier added ("… par ultrasons")
            key = contained_link(self.domain, sector, name)
            return {"label": name.strip(), "canonical": key, "confidence": QUALIFIED if key else None}
        return {"label": name.strip(), "canonical": key, "confidence": 1.0}

def contained_link(domain: DomainConfig, sector: str | None, name: str) -> str | None:
    """The link whose longest known name of two words or more starts or ends the folded `name`."""
    text = f" {fold(name)} "
    best: tuple[int, str] | None = None
    for key in ([sector] if sector in domain.sectors else list(domain.sectors)):
        for known, link in domain._link_lookup.get(key, {}).items():
            if " " in known and (text.startswith(f" {known} ") or text.endswith(f" {known} ")):
                if best is None or len(known) > best[0]:
                    best = (len(known), link)
    return best[1] if best else None


def _size_errors(value: Any, limits: dict[str, int], name: str = "") -> Any:
    """Bound every text and list; the message names the limit so users know what to shorten."""
    if isinstance(value, dict):
        found = {k: e for k, v in value.items() if (e := _size_errors(v, limits, str(k)))}
        return found or None
    if isinstance(value, list):
        if len(value) > limits["list_max_items"]:
            return [f"too many items: {len(value)} > list_max_items={limits['list_max_items']}"]
        found = {i: e for i, v in enumerate(value) if (e := _size_errors(v, limits, name))}
        return found or None
    if isinstance(value, str):
        limit_name = "text_max_chars" if name in LONG_TEXT_FIELDS else "short_text_max_chars"
        if len(value) > limits[limit_name]:
            return [f"too long: {len(value)} characters > {limit_name}={limits[limit_name]}"]
    return None


class ClusterSchema(_ProfileSchema):
    kind = fields.String(load_default=ClusterKind.CLUSTER.value, validate=_one_of(ClusterKind))
    nuts = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}[0-9A-Z]{0,3}$"))
    themes = fields.List(fields.String(), load_default=list)
    technologies = fields.List(fields.String(), load_default=list)
    partner_countries = fields.List(CountryField(), load_default=list)
    value_chain = fields.List(fields.Nested(ValueChainLinkSchema), load_default=list)
    members_by_size = fields.Dict(
        keys=fields.String(validate=_one_of(SizeBand)),
        values=fields.Integer(validate=validate.Range(min=0)),
        load_default=dict,
    )
    governance = fields.String(load_default=None, allow_none=True)
    stage = ChoiceField(Stage, load_default=None, allow_none=True)
    networks = fields.List(fields.String(), load_default=list)

    def _link_lists(self) -> list[tuple[str, str | None]]:
        return [*super()._link_lists(), ("value_chain", "link")]


class MemberSchema(_ProfileSchema):
    org_type = ChoiceField(OrgType, load_default=OrgType.SME.value)
    clusters = fields.List(fields.String(validate=validate.Regexp(ID_PATTERN)), load_default=list)
    city = fields.String(load_default=None, allow_none=True)
    nace = fields.List(NaceField(), load_default=list)
    size_band = ChoiceField(SizeBand, load_default=None, allow_none=True)
    value_chain_links = fields.List(fields.String(validate=validate.Length(min=2)), load_default=list)
    # The written label of each value-chain link, its canonical key and confidence (set at ingest).
    link_labels = fields.List(fields.Dict(), dump_only=True)
    competences = fields.List(fields.String(), load_default=list)
    markets = fields.List(CountryField(), load_default=list)
    certifications = fields.List(fields.String(), load_default=list)
    active_cooperations = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))

    def _link_lists(self) -> list[tuple[str, str | None]]:
        return [*super()._link_lists(), ("value_chain_links", None)]


def profile_schema(kind: str, domain: DomainConfig | None) -> _ProfileSchema:
    return (ClusterSchema if kind == "clusters" else MemberSchema)(domain=domain)


def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Marshmallow's nested messages as [{'field': 'offers.2.text', 'message': ...}]."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.extend({"field": prefix or "_record", "message": m} for m in messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            out.extend(flatten_errors(value, f"{prefix}.{i}"))
    else:
        out.append({"field": prefix or "_record", "message": str(messages)})
    return out
