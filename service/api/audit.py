"""/audit: who created or changed what, and when (admins)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api import principal, services

blp = Blueprint("audit", __name__, description="Audit trail")


class AuditQueryArgsSchema(Schema):
    object = fields.String(load_default=None, metadata={"description": "a path such as /members/fr-1"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    key_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    action = fields.String()
    object = fields.String(allow_none=True)
    details = fields.Dict()


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """The latest changes, newest first (admin only)"""
        return services().audit_service(principal()).entries(args["object"], args["limit"], args["offset"])
