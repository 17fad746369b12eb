"""The Elasticsearch backend, the only module importing `elasticsearch`: readers use aliases."""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch import NotFoundError as EsNotFoundError

from service.errors import BackendUnavailableError, ConfigurationError, InvalidRequestError
from service.index import es_documents as documents
from service.index import queries
from service.index.base import Hit, IndexedProfile, Item, Page, ProfileFilter
from service.index.elastic_admin import MAPPING_VERSION, IndexAdmin, safe_url
from service.index.fusion import reciprocal_rank_fusion
from service.vocab import ProfileKind

log = logging.getLogger(__name__)
KINDS = tuple(k.value for k in ProfileKind)
MAX_ITEMS = 1_000  # per profile; far above the offers/requests list limits
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_UNAVAILABLE = {401, 403, 408, 429}  # the server is there but cannot serve us now
Progress = Callable[[int], None]


class ElasticIndex:
    """Implements service.index.base.ProfileIndex on `<prefix>-<kind>` (profiles) and
    `<prefix>-<kind>-items` (one document per embedded item) aliases."""

    def __init__(self, client: Elasticsearch, url: str, prefix: str, mappings_dir: Path) -> None:
        if not _PREFIX_RE.match(prefix):
            raise ConfigurationError(f"ES_INDEX_PREFIX={prefix!r}: use lowercase letters, digits, '-', '_' or '.'")
        self.es = client
        self.url = safe_url(url)
        self.prefix = prefix
        self.admin = IndexAdmin(client, prefix, mappings_dir, self._errors)
        self.dims: int | None = None
        self.model_name: str | None = None
        self._expected: tuple[str, int] | None = None
        self._server: tuple[int, int] | None = None
        self._lock = threading.RLock()
        self._connect: Any = None  # builds a new client (set by from_settings)

    @classmethod
    def from_settings(cls, settings: Any) -> ElasticIndex:
        auth = (settings.es_username, settings.es_password) if settings.es_username else None

        def connect() -> Elasticsearch:
            return Elasticsearch(settings.es_url, api_key=settings.es_api_key, basic_auth=auth,
                                 ca_certs=settings.es_ca_certs, request_timeout=settings.es_timeout_s,
                                 max_retries=1, retry_on_timeout=True)

        index = cls(connect(), settings.es_url, settings.es_index_prefix, settings.config_dir / "mappings")
        index._connect = connect
        return index

    def alias(self, kind: str, items: bool = False) -> str:
        return self.admin.alias(kind, items)

    # -- startup ------------------------------------------------------------------------------
    def check_model(self, model_name: str, dims: int) -> None:
        """Fail fast when the indices hold another model's vectors; create missing indices.
        An unreachable server only defers the check to the first request (no broken state)."""
        self._expected = (model_name, dims)
        try:
            self._ready()
        except BackendUnavailableError as exc:
            log.warning("Elasticsearch model check deferred: %s", exc.message)

    def _ready(self) -> None:
        if self._server is not None and self._expected is None:
            return
        with self._lock, self._errors("connect"):
            if self._server is None:
                number = self.es.info()["version"]["number"]
                self._server = tuple(int(x) for x in re.findall(r"\d+", number)[:2])  # type: ignore[assignment]
                held = next(filter(None, (self.admin.vector_mapping(kind) for kind in KINDS)), None)
                if held is not None and self.dims is None:  # existing indices tell the vector size
                    self.dims, self.model_name = held[1], held[2]
            if self._expected is not None:
                self._verify(*self._expected)
                self._expected = None

    def _verify(self, model_name: str, dims: int) -> None:
        self.admin.check_vectors(KINDS, model_name, dims)
        self.dims, self.model_name = dims, model_name
        self.create_indices()

    def create_indices(self, kinds: Sequence[str] = KINDS) -> None:
        """Create the first indices of each kind that has none (items only once dims are known)."""
        with self._lock:
            for kind in kinds:
                for items in (False, True) if self.dims is not None else (False,):
                    name = f"{self.alias(kind, items)}-v{MAPPING_VERSION}-initial"
                    self.admin.create(kind, items, name, self.dims, self.model_name, self._server or (0, 0), True)

    # -- writes -------------------------------------------------------------------------------
    def upsert(self, kind: str, profiles: Sequence[IndexedProfile]) -> None:
        if not profiles:
            return
        self._ready()
        self._learn_dims(profiles)
        self.create_indices([kind])
        actions, keep = documents.bulk_actions(kind, profiles, self.alias(kind), self.alias(kind, True))
        self._bulk(actions, refresh="wait_for")
        if self.dims is not None:
            with self._errors("remove stale items"):
                self.es.delete_by_query(index=self.alias(kind, True), refresh=True, conflicts="proceed",
                                        query=queries.stale_items_query([p.id for p in profiles], keep))

    def delete(self, kind: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        self._ready()
        actions = [{"_op_type": "delete", "_index": self.alias(kind), "_id": pid} for pid in ids]
        with self._errors("delete profiles"):
            _, missing = helpers.bulk(self.es, actions, refresh="wait_for", raise_on_error=False)
            self.es.options(ignore_status=404).delete_by_query(
                index=self.alias(kind, True), query=queries.items_of_query(ids), refresh=True, conflicts="proceed")
        return len(ids) - len(missing)  # bulk reports deletes of absent documents as errors

    def rebuild(self, kind: str, profiles: Iterable[IndexedProfile], batch_size: int = 500,
                progress: Progress | None = None) -> int:
        """Fill new timestamped indices, then swap both aliases in one call: readers see the old
        data until the swap. Writes made through the aliases meanwhile are not carried over."""
        self._ready()
        new = self.admin.new_names(kind)
        done, batch, created = 0, [], False
        try:
            for profile in profiles:
                batch.append(profile)
                if len(batch) >= batch_size:
                    created = created or self._create_pair(kind, new, batch)
                    done += self._write(kind, batch, new, progress)
            created = created or self._create_pair(kind, new, batch)
            done += self._write(kind, batch, new, progress)
            old = self.admin.swap(kind, new)
        except BaseException:
            self.admin.drop_quietly(list(new.values()))
            raise
        self.admin.drop_quietly(old)
        return done

    def _create_pair(self, kind: str, new: dict[bool, str], batch: list[IndexedProfile]) -> bool:
        self._learn_dims(batch)
        if self.dims is None:
            raise ConfigurationError("rebuild needs the vector dimensions: call check_model first")
        for items, name in new.items():
            self.admin.create(kind, items, name, self.dims, self.model_name, self._server or (0, 0), False)
        return True

    def _write(self, kind: str, batch: list[IndexedProfile], new: dict[bool, str], progress: Progress | None) -> int:
        actions, _ = documents.bulk_actions(kind, batch, new[False], new[True])
        self._bulk(actions, refresh=False)
        count = len(batch)
        batch.clear()
        if progress is not None and count:
            progress(count)
        return count

    def _learn_dims(self, profiles: Sequence[IndexedProfile]) -> None:
        if self.dims is None:
            first = next((it.vector for p in profiles for it in p.items), None)
            self.dims = None if first is None else len(first)

    def _bulk(self, actions: list[dict[str, Any]], refresh: Any) -> None:
        with self._errors("bulk index"):
            try:
                helpers.bulk(self.es, actions, refresh=refresh, chunk_size=500)
            except helpers.BulkIndexError as exc:
                failed = [next(iter(e.values())) for e in exc.errors]
                details = [{"id": f.get("_id"), "status": f.get("status"),
                            "message": str((f.get("error") or {}).get("reason", f.get("error")))} for f in failed]
                status = max(int(f.get("status") or 500) for f in failed)
                raise _domain_error(status, f"Elasticsearch rejected {len(failed)} document(s): "
                                    f"{details[0]['message']}", details) from exc

    # -- reads --------------------------------------------------------------------------------
    def get(self, kind: str, id: str) -> dict[str, Any] | None:
        return self.get_many(kind, [id]).get(id)

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {pid: src["doc"] for pid, src in self._mget(kind, ids, ["doc"]).items()}

    def hashes(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        return {pid: src["content_hash"] for pid, src in self._mget(kind, ids, ["content_hash"]).items()}

    def _mget(self, kind: str, ids: Sequence[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        self._ready()
        out: dict[str, dict[str, Any]] = {}
        with self._errors("read profiles"):
            for start in range(0, len(ids), 1000):
                try:
                    found = self.es.mget(index=self.alias(kind), ids=ids[start : start + 1000], source_includes=fields)
                except EsNotFoundError:
                    return {}
                out.update({d["_id"]: d["_source"] for d in found["docs"] if d.get("found")})
        return out

    def search(self, kind: str, flt: ProfileFilter, offset: int, limit: int) -> Page:
        resp = self._search(self.alias(kind), queries.list_body(flt, offset, limit), "list profiles")
        if resp is None:
            return Page([], 0)
        return Page([h["_source"]["doc"] for h in resp["hits"]["hits"]], int(resp["hits"]["total"]["value"]))

    def count(self, kind: str) -> int:
        self._ready()
        with self._errors("count profiles"):
            try:
                return int(self.es.count(index=self.alias(kind))["count"])
            except EsNotFoundError:
                return 0

    def knn(self, kind: str, role: str, queries_: np.ndarray, k: int, flt: ProfileFilter) -> list[list[Hit]]:
        vectors = np.atleast_2d(np.asarray(queries_, dtype=np.float32)) if len(queries_) else []
        if len(vectors) == 0 or k <= 0:
            return [[] for _ in range(len(vectors))]
        self._ready()
        out: list[list[Hit]] = []
        index = self.alias(kind, items=True)
        for start in range(0, len(vectors), 50):
            bodies = [queries.knn_body(role, v, k, flt) for v in vectors[start : start + 50]]
            with self._errors("kNN search"):
                responses = self.es.msearch(searches=queries.msearch_lines(index, bodies))["responses"]
            for resp in responses:
                out.append(self._hits(resp))
        return out

    def _hits(self, resp: dict[str, Any]) -> list[Hit]:
        status = int(resp.get("status", 200))
        if "error" in resp and status != 404:  # 404: no items index yet
            raise _domain_error(status, f"Elasticsearch at {self.url} failed a kNN search: {resp['error']}")
        return [Hit(h["_source"]["profile_id"], h["_source"]["role"], int(h["_source"]["pos"]),
                    queries.cosine(h["_score"])) for h in resp.get("hits", {}).get("hits", [])]

    def hybrid(self, kind: str, text: str, vector: np.ndarray, k: int, flt: ProfileFilter) -> list[Hit]:
        """Free-text search: BM25 ranking and whole-profile kNN ranking fused by reciprocal rank."""
        resp = self._search(self.alias(kind), queries.bm25_body(text, flt, k), "text search")
        lexical = [h["_id"] for h in resp["hits"]["hits"]] if resp else []
        semantic = [h.profile_id for h in self.knn(kind, "profile", np.asarray(vector)[None, :], k, flt)[0]]
        return [Hit(pid, "profile", 0, score) for pid, score in reciprocal_rank_fusion([lexical, semantic])[:k]]

    def items(self, kind: str, id: str) -> list[Item]:
        resp = self._search(self.alias(kind, items=True), queries.items_body(id, MAX_ITEMS), "read items")
        return [] if resp is None else [documents.to_item(h["_source"]) for h in resp["hits"]["hits"]]

    def items_many(self, kind: str, ids: Sequence[str]) -> dict[str, list[Item]]:
        return {pid: self.items(kind, pid) for pid in ids}

    def warm(self) -> None:
        """Nothing to load: the vectors live in the server."""

    def after_fork(self) -> None:
        """A forked child gets its own connection pool (a socket must not serve two processes)."""
        if self._connect is not None:
            self.es = self.admin.es = self._connect()

    def iter_profiles(self, kind: str, batch_size: int = 500) -> Iterator[IndexedProfile]:
        """Every profile with its items, read from the indices the aliases point to now."""
        self._ready()
        index, items_index = self.admin.concrete(self.alias(kind)), self.admin.concrete(self.alias(kind, True))
        for hits in self.admin.scan(index[:1], queries.scan_body(None, batch_size)):
            items: dict[str, list[Item]] = {}
            body = queries.scan_items_body([h["_id"] for h in hits], 1000)
            for item_hits in self.admin.scan(items_index[:1], body):
                for h in item_hits:
                    items.setdefault(h["_source"]["profile_id"], []).append(documents.to_item(h["_source"]))
            for h in hits:
                src = h["_source"]
                yield IndexedProfile(kind, src["id"], src["doc"], src["content_hash"], items.get(src["id"], []))

    def _search(self, index: str, body: dict[str, Any], what: str) -> Any:
        """The response, or None when the index does not exist (yet)."""
        self._ready()
        with self._errors(what):
            try:
                return self.es.search(index=index, **queries.search_kwargs(body))
            except EsNotFoundError:
                return None

    def health(self) -> dict[str, Any]:
        self._ready()
        with self._errors("cluster health"):
            status = self.es.cluster.health()["status"]
        return {"backend": "elasticsearch", "url": self.url, "cluster_status": status, "dims": self.dims,
                "profiles": {kind: self.count(kind) for kind in KINDS},
                "indices": list(self.admin.names(KINDS))}

    def drop(self) -> None:
        """Delete every index behind this prefix's aliases (tests, a discarded reindex target)."""
        self.admin.drop_quietly(list(self.admin.names(KINDS)))

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Translate client exceptions into domain errors; nothing broken is kept afterwards."""
        try:
            yield
        except ApiError as exc:
            raise _domain_error(int(exc.meta.status), f"Elasticsearch at {self.url} could not {what}: "
                                f"{exc.meta.status} {exc.message}", {"elasticsearch": str(exc.body)[:500]}) from exc
        except TransportError as exc:  # connection refused, timeouts, TLS
            raise BackendUnavailableError(f"Elasticsearch unreachable at {self.url}: {exc}") from exc


def _domain_error(status: int, message: str, errors: Any = None) -> Exception:
    """5xx, 429, timeouts and refused credentials: the backend cannot serve now; other 4xx: our request."""
    if status >= 500 or status in _UNAVAILABLE:
        return BackendUnavailableError(message, errors)
    return InvalidRequestError(message, errors)
