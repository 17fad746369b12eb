"""A scripted Elasticsearch node for unit tests of the requests the client would send.

The real `elasticsearch` client runs unchanged on top (headers, serialisation, helpers, retries);
only the network is replaced: every request is recorded and answered by a routing function.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node._base import NodeApiResponse


@dataclass
class Sent:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, a list for NDJSON bodies, or None


Route = Callable[[Sent], tuple[int, Any]]


@dataclass
class FakeServer:
    """Routes: (method, path suffix) -> answer; a route may be a function of the request."""

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    version: str = "8.15.3"

    def answer(self, req: Sent) -> tuple[int, Any]:
        if req.method in ("GET", "HEAD") and req.path == "/":
            return 200, {"version": {"number": self.version}, "tagline": "You Know, for Search"}
        for (method, suffix), route in self.routes.items():
            if req.method == method and req.path.endswith(suffix):
                return route(req) if callable(route) else route
        if req.path.endswith("/_count"):
            return 200, {"count": 0}
        if req.method in ("GET", "HEAD"):  # mappings, aliases: nothing exists yet
            return 404, {"error": {"type": "index_not_found_exception", "reason": "no such index"}, "status": 404}
        return 200, {"acknowledged": True}

    def node_class(self) -> type[BaseNode]:
        server = self

        class Node(BaseNode):
            def perform_request(self, method: str, target: str, body: bytes | None = None,
                                headers: HttpHeaders | None = None, request_timeout: Any = None) -> NodeApiResponse:
                url = urlsplit(target)
                req = Sent(method, url.path, parse_qs(url.query), {k.lower(): v for k, v in (headers or {}).items()},
                           _parse(body))
                server.sent.append(req)
                status, payload = server.answer(req)
                meta = ApiResponseMeta(status=status, http_version="1.1", duration=0.0, node=self.config,
                                       headers=HttpHeaders({"content-type": "application/json",
                                                            "x-elastic-product": "Elasticsearch"}))
                return NodeApiResponse(meta, b"" if method == "HEAD" else json.dumps(payload).encode())

        return Node

    def client(self) -> Any:
        from elasticsearch import Elasticsearch

        return Elasticsearch("http://fake-es:9200", node_class=self.node_class(), max_retries=0)

    def requests(self, method: str | None = None, suffix: str = "") -> list[Sent]:
        return [r for r in self.sent if (method is None or r.method == method) and r.path.endswith(suffix)]


def _parse(body: bytes | None) -> Any:
    if not body:
        return None
    text = body.decode()
    try:
        return json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def bulk_answer(statuses: dict[str, int]) -> Route:
    """A _bulk route: every action succeeds unless its _id is given another status here."""

    def route(req: Sent) -> tuple[int, Any]:
        items = []
        for line in req.body:
            op = next(iter(line), None)
            if op not in ("index", "create", "update", "delete") or not isinstance(line[op], dict):
                continue
            meta = line[op]
            status = statuses.get(meta.get("_id"), 201 if op != "delete" else 200)
            item: dict[str, Any] = {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": status}
            if status >= 300:
                kind = "es_rejected_execution_exception" if status == 429 else "document_parsing_exception"
                item["error"] = {"type": kind, "reason": f"{kind} on {meta.get('_id')}"}
            items.append({op: item})
        return 200, {"took": 1, "errors": any(i[next(iter(i))]["status"] >= 300 for i in items), "items": items}

    return route
