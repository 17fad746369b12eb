"""Marshmallow request/response schemas of the API (profiles reuse service.profile_schemas)."""

from __future__ import annotations

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from service.profile_schemas import ClusterSchema, CountryField, MemberSchema
from service.vocab import OrgType

__all__ = ["ErrorSchema"]  # flask-smorest's: the one error shape everywhere


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ProfileQueryArgsSchema(PageArgsSchema):
    country = fields.List(CountryField(), load_default=list, metadata={"description": "ISO code or name; repeatable"})
    sector = fields.List(fields.String(), load_default=list)
    q = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "full-text search"}
    )


class MemberQueryArgsSchema(ProfileQueryArgsSchema):
    org_type = fields.List(fields.String(validate=validate.OneOf([o.value for o in OrgType])), load_default=list)
    cluster = fields.List(fields.String(), load_default=list, metadata={"description": "member of these cluster ids"})


class _PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class ClusterPageSchema(_PageSchema):
    items = fields.List(fields.Nested(ClusterSchema))


class MemberPageSchema(_PageSchema):
    items = fields.List(fields.Nested(MemberSchema))


class JobSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "queued, started, finished, failed..."})
    description = fields.String(allow_none=True)
    progress = fields.Float(allow_none=True)
    message = fields.String(allow_none=True)
    enqueued_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)
    result = fields.Raw(allow_none=True)
    error = fields.String(allow_none=True)


class JobAcceptedSchema(Schema):
    job_id = fields.String(required=True)
    status_url = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    store = fields.Dict()
    model = fields.Dict()
    redis = fields.Dict()
