"""Request and response schemas of /matches, /consortia and /match-batches."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.profile_schemas import CountryField
from service.vocab import RequestType

KINDS = ["clusters", "members"]


class SeekerRefSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=128))


class _MatchOptionsSchema(Schema):
    target = fields.String(
        validate=validate.OneOf(KINDS),
        metadata={"description": "what to search (default: the seeker's kind; members for text)"},
    )
    cooperation_type = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([t.value for t in RequestType])
    )
    countries = fields.List(CountryField(), load_default=list, validate=validate.Length(max=100))
    exclude_countries = fields.List(CountryField(), load_default=list, validate=validate.Length(max=100))
    foreign_only = fields.Boolean(
        load_default=None, allow_none=True, metadata={"description": "default: true for cluster searches"}
    )
    clusters = fields.List(
        fields.String(validate=validate.Length(max=128)), load_default=list, validate=validate.Length(max=100)
    )
    event_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    certifications = fields.List(
        fields.String(validate=validate.Length(max=100)), load_default=list, validate=validate.Length(max=20)
    )


class MatchRequestSchema(_MatchOptionsSchema):
    seeker = fields.Nested(SeekerRefSchema, load_default=None, allow_none=True)
    text = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=3, max=2000),
        metadata={"description": "a need in free text, any supported language"},
    )
    country = CountryField(
        load_default=None, allow_none=True, metadata={"description": "the free-text seeker's country"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    page_size = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))

    @validates_schema
    def one_seeker(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("seeker")) == bool(data.get("text")):
            raise ValidationError("give exactly one of 'seeker' or 'text'", "seeker")


class ConsortiumRequestSchema(MatchRequestSchema):
    max_size = fields.Integer(load_default=3, validate=validate.Range(min=1, max=4))


class CriterionSchema(Schema):
    score = fields.Float()
    weight = fields.Float()
    contribution = fields.Float()
    reason = fields.String(allow_none=True)


class PairSchema(Schema):
    need = fields.String()
    offer = fields.String()
    similarity = fields.Float()
    direction = fields.String(
        metadata={"description": "forward: their offer answers your need; backward: yours answers theirs"}
    )


class MatchSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    country = fields.String(allow_none=True)
    score = fields.Float(metadata={"description": "the sum of the criteria's contributions"})
    sentence = fields.String()
    criteria = fields.Dict(keys=fields.String(), values=fields.Nested(CriterionSchema))
    pairs = fields.List(fields.Nested(PairSchema))
    gaps_filled = fields.List(fields.String())
    profile = fields.Dict()


class MatchPageSchema(Schema):
    seeker = fields.Dict()
    search_type = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(MatchSchema))


class ConsortiumSchema(Schema):
    partners = fields.List(fields.Nested(MatchSchema))
    covered = fields.List(fields.String())
    uncovered = fields.List(fields.String())
    coverage = fields.Float()
    score = fields.Float()
    reasons = fields.List(fields.String())


class ConsortiaSchema(Schema):
    seeker = fields.Dict()
    consortia = fields.List(fields.Nested(ConsortiumSchema))


class MatchBatchRequestSchema(Schema):
    seeker_kind = fields.String(load_default="members", validate=validate.OneOf(KINDS))
    target = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    event_id = fields.String(load_default=None, allow_none=True)
    cluster = fields.String(load_default=None, allow_none=True, metadata={"description": "all members of this cluster"})
    ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=20_000))
    cooperation_type = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([t.value for t in RequestType])
    )
    foreign_only = fields.Boolean(load_default=None, allow_none=True)
    per_seeker = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))

    @validates_schema
    def one_scope(self, data: dict[str, Any], **_: Any) -> None:
        given = [k for k in ("event_id", "cluster", "ids") if data.get(k)]
        if len(given) != 1:
            raise ValidationError("give exactly one of event_id, cluster or ids", "scope")


class MatchBatchAcceptedSchema(Schema):
    job_id = fields.String()
    status_url = fields.String()
    results_json = fields.String()
    results_csv = fields.String()
