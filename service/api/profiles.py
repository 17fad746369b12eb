"""/clusters and /members: list with filters and pagination, read one."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from service.api import principal, services
from service.api.schemas import (
    ClusterPageSchema,
    ErrorSchema,
    MemberPageSchema,
    MemberQueryArgsSchema,
    ProfileQueryArgsSchema,
)
from service.index.base import ProfileFilter
from service.profile_schemas import ClusterSchema, MemberSchema

blp = Blueprint("profiles", __name__, description="Cluster and member profiles")


class DeletedSchema(Schema):
    deleted = fields.String()
    kind = fields.String()
    event_participations_removed = fields.Integer()
    cooperation_records_anonymised = fields.Integer()
    batch_results_removed = fields.Integer()


def _filter(args: dict[str, Any]) -> ProfileFilter:
    return ProfileFilter(
        countries=frozenset(args.get("country") or ()),
        sectors=frozenset(args.get("sector") or ()),
        org_types=frozenset(args.get("org_type") or ()),
        clusters=frozenset(args.get("cluster") or ()),
        text=args.get("q"),
    )


def _service() -> Any:
    return services().profile_service(principal())


@blp.route("/clusters")
class Clusters(MethodView):
    @blp.arguments(ProfileQueryArgsSchema, location="query")
    @blp.response(200, ClusterPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List clusters, filtered by country, sector and text"""
        return _service().list("clusters", _filter(args), args["page"], args["page_size"])


@blp.route("/clusters/<cluster_id>")
class ClustersById(MethodView):
    @blp.response(200, ClusterSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, cluster_id: str) -> Any:
        """Read one cluster profile (fields as their visibility allows)"""
        return _service().read("clusters", cluster_id)

    @blp.response(200, DeletedSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    def delete(self, cluster_id: str) -> Any:
        """Delete a cluster profile (its manager or an admin); it leaves the index too"""
        return _service().delete("clusters", cluster_id)


@blp.route("/members")
class Members(MethodView):
    @blp.arguments(MemberQueryArgsSchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List members (SMEs, large firms, labs, schools), filtered"""
        return _service().list("members", _filter(args), args["page"], args["page_size"])


@blp.route("/members/<member_id>")
class MembersById(MethodView):
    @blp.response(200, MemberSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, member_id: str) -> Any:
        """Read one member profile (fields as their visibility allows)"""
        return _service().read("members", member_id)

    @blp.response(200, DeletedSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    def delete(self, member_id: str) -> Any:
        """Delete a member and its data (the member, its cluster manager or an admin)"""
        return _service().delete("members", member_id)


@blp.route("/members/<member_id>/export")
class MemberExport(MethodView):
    @blp.response(200)
    @blp.alt_response(403, schema=ErrorSchema)
    def get(self, member_id: str) -> Any:
        """Everything held about a member: profile, event participations, requests"""
        return _service().export("members", member_id)
