"""The Elasticsearch backend, the only module importing `elasticsearch`: readers use aliases."""
from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch import NotFoundError as EsNotFoundError
from elasticsearch import __versionstr__ as CLIENT_VERSION

from service.errors import BackendUnavailableError, ConfigurationError
from service.index import es_documents as documents
from service.index import es_errors, es_scan, queries
from service.index.base import (
    CandidateRecords,
    Hit,
    IndexedProfile,
    Item,
    KnnSearch,
    Page,
    ProfileFilter,
    ProfileRecord,
    Retrieved,
)
from service.index.elastic_admin import MAPPING_VERSION, IndexAdmin, safe_url
from service.index.es_match import MatchReads
from service.index.fusion import reciprocal_rank_fusion
from service.vocab import ProfileKind

log = logging.getLogger(__name__)
KINDS = tuple(k.value for k in ProfileKind)
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
BULK_RETRIES = 5  # items the server rejects with 429 are sent again, after 1, 2, 4, 8, 16 s
Progress = Callable[[int], None]
ClientFactory = Callable[[], Elasticsearch]

# The transport logs every request at INFO (one line per query); its warnings still show.
if logging.getLogger("elastic_transport.transport").level == logging.NOTSET:
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)


class ElasticIndex:
    """Implements service.index.base.ProfileIndex on `<prefix>-<kind>` (profiles) and
    `<prefix>-<kind>-items` (one document per embedded item) aliases."""

    def __init__(self, client: Elasticsearch | ClientFactory, url: str, prefix: str, mappings_dir: Path,
                 replicas: int | None = None) -> None:
        """`client`: a factory (each process then opens its own client on first use) or, in
        tests, one client that must not cross a fork."""
        if not _PREFIX_RE.match(prefix):
            raise ConfigurationError(f"ES_INDEX_PREFIX={prefix!r}: use lowercase letters, digits, '-', '_' or '.'")
        fixed = isinstance(client, Elasticsearch)
        self._factory: ClientFactory | None = None if fixed else client  # type: ignore[assignment]
        self._client: Elasticsearch | None = client if fixed else None  # type: ignore[assignment]
        self._pid = os.getpid()
        self._inherited: Elasticsearch | None = None
        self.url = safe_url(url)
        self.prefix = prefix
        self.admin = IndexAdmin(lambda: self.es, prefix, mappings_dir, self._errors, replicas)
        self.reads = MatchReads(self._msearch, self.alias, self.items_many, self.url)
        self.dims: int | None = None
        self.model_name: str | None = None
        self._expected: tuple[str, int] | None = None
        self._server: tuple[int, int] | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Any) -> ElasticIndex:
        auth = (settings.es_username, settings.es_password) if settings.es_username else None

        def open_client() -> Elasticsearch:
            return Elasticsearch(settings.es_url, api_key=settings.es_api_key, basic_auth=auth,
                                 ca_certs=settings.es_ca_certs, request_timeout=settings.es_timeout_s,
                                 max_retries=1, retry_on_timeout=True)

        return cls(open_client, settings.es_url, settings.es_index_prefix, settings.config_dir / "mappings",
                   getattr(settings, "es_replicas", None))

    # -- one client per process -----------------------------------------------------------------
    @property
    def es(self) -> Elasticsearch:
        """This process's client, opened on first use: a socket must never serve two processes."""
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    self._open()
        return self._client  # type: ignore[return-value]

    def _open(self) -> None:
        if self._pid != os.getpid():
            self.after_fork()
        if self._factory is None:
            raise ConfigurationError("this Elasticsearch index was given one client, which cannot follow a "
                                     "fork: build it with ElasticIndex.from_settings")
        self._client, self._pid = self._factory(), os.getpid()

    def after_fork(self) -> None:
        """In a forked child (gunicorn worker, RQ job horse): drop the parent's client without
        closing it (its sockets are the parent's; closing could write on them). What was learnt
        about the server and the indices is kept; the next request opens a fresh client."""
        self._lock = threading.RLock()  # a lock held by a parent thread at fork would never be freed
        if self._pid != os.getpid():
            self._inherited, self._client = self._client, None
            if self._factory is not None:
                self._pid = os.getpid()

    def close(self) -> None:
        """Close this process's connections (at shutdown); the index opens new ones if used again."""
        with self._lock:
            client, self._client = self._client, None
            if client is not None and self._pid == os.getpid():
                client.close()

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
                server = tuple(int(x) for x in re.findall(r"\d+", number)[:2])
                check_client_version(server, self.url)  # type: ignore[arg-type]
                self._server = server  # type: ignore[assignment]
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
        # Items a profile no longer has (fewer offers than before) go in the same bulk, so one
        # wait_for shows the whole change: the caller reads its writes after the next scheduled
        # refresh, and no refresh is forced per ingest batch.
        stale = self._item_ids(kind, [p.id for p in profiles]) - set(keep)
        actions += [{"_op_type": "delete", "_index": self.alias(kind, True), "_id": iid} for iid in sorted(stale)]
        self._bulk(actions, refresh="wait_for", absent_ok=True)

    def delete(self, kind: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        self._ready()
        actions = [{"_op_type": "delete", "_index": self.alias(kind), "_id": pid} for pid in ids]
        items = [{"_op_type": "delete", "_index": self.alias(kind, True), "_id": iid}
                 for iid in sorted(self._item_ids(kind, ids))]
        # Deleting an absent document answers 404 per item: that is "not there", not a failure.
        missing = self._bulk(actions + items, refresh="wait_for", absent_ok=True)
        return len(ids) - missing

    def _item_ids(self, kind: str, profile_ids: Sequence[str]) -> set[str]:
        """Ids of the stored items of these profiles (sort values only, no sources)."""
        found: set[str] = set()
        if self.dims is None or not profile_ids:
            return found
        self._ready()
        body = {**queries.items_many_body(list(profile_ids), queries.WINDOW), "_source": False}
        for hits in self.admin.sorted_pages(self.alias(kind, items=True), body, "read item ids"):
            found.update(h["_id"] for h in hits)
        return found

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

    def _bulk(self, actions: list[dict[str, Any]], refresh: Any, absent_ok: bool = False) -> int:
        """Write in chunks; items refused with 429 are retried with backoff, and any item still
        refused is named in the error (the others stay written). Returns how many profile
        deletes found nothing (with absent_ok)."""
        failed, absent = [], 0
        with self._errors("bulk index"):
            for ok, result in helpers.streaming_bulk(
                    self.es, actions, chunk_size=500, max_chunk_bytes=20 * 1024 * 1024, raise_on_error=False,
                    max_retries=BULK_RETRIES, initial_backoff=1, max_backoff=30, yield_ok=False, refresh=refresh):
                if not ok:
                    item = next(iter(result.values()))
                    if absent_ok and item.get("status") == 404:
                        absent += "\x1f" not in str(item.get("_id"))  # a profile, not one of its items
                    else:
                        failed.append(item)
        if failed:
            raise es_errors.bulk_failure(failed, len(actions), self.url)
        return absent

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
        if offset + limit > queries.WINDOW:  # a match batch over a cluster, a deep page
            self._ready()
            docs, total = self.admin.deep_page(self.alias(kind), flt, offset, limit)
            return Page(docs, total)
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
        return self.knn_many(kind, [KnnSearch(role, vectors, k)], flt).hits[0]

    def knn_many(self, kind: str, searches: Sequence[KnnSearch], flt: ProfileFilter,
                 lexical: tuple[str, int] | None = None) -> Retrieved:
        """Every kNN search of a match (and its BM25 ranking) in one _msearch."""
        return self.reads.knn_many(kind, searches, flt, lexical)

    def read_profile(self, kind: str, id: str, members_cap: int) -> ProfileRecord:
        return self.reads.read_profile(kind, id, members_cap)

    def read_candidates(self, kind: str, ids: Sequence[str], members_cap: int) -> CandidateRecords:
        return self.reads.read_candidates(kind, ids, members_cap)

    def _msearch(self, lines: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
        self._ready()
        with self._errors(what):
            return self.es.msearch(searches=lines)["responses"]

    def lexical(self, kind: str, text: str, k: int, flt: ProfileFilter) -> list[str]:
        """Profile ids ranked by BM25 for any word of the text (names weigh more)."""
        resp = self._search(self.alias(kind), queries.bm25_body(text, flt, k), "text search")
        return [h["_id"] for h in resp["hits"]["hits"]] if resp else []

    def hybrid(self, kind: str, text: str, vector: np.ndarray, k: int, flt: ProfileFilter) -> list[Hit]:
        """Free-text search: BM25 ranking and whole-profile kNN ranking fused by reciprocal rank."""
        lexical = self.lexical(kind, text, k, flt)
        semantic = [h.profile_id for h in self.knn(kind, "profile", np.asarray(vector)[None, :], k, flt)[0]]
        return [Hit(pid, "profile", 0, score) for pid, score in reciprocal_rank_fusion([lexical, semantic])[:k]]

    def items(self, kind: str, id: str) -> list[Item]:
        return self.items_many(kind, [id])[id]

    def items_many(self, kind: str, ids: Sequence[str]) -> dict[str, list[Item]]:
        """Items of many profiles in one search per 10,000 items."""
        self._ready()
        return es_scan.items_many(self.admin, self.alias(kind, items=True), ids)

    def warm(self) -> None:
        """Nothing to load: the vectors live in the server."""

    def iter_profiles(self, kind: str, batch_size: int = 500) -> Iterator[IndexedProfile]:
        """Every profile with its items, as of one point in time on each index."""
        self._ready()
        yield from es_scan.iter_profiles(self.admin, kind, batch_size)

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
            error_type, reason = es_errors.error_parts(exc.body)
            raise es_errors.domain_error(int(exc.meta.status), what, self.url, reason or str(exc.message),
                                         error_type, {"elasticsearch": str(exc.body)[:500]}) from exc
        except TransportError as exc:  # connection refused, timeouts, TLS
            raise BackendUnavailableError(f"Elasticsearch unreachable at {self.url}: {exc}") from exc


def check_client_version(server: tuple[int, int], url: str) -> None:
    """A client newer than the server sends headers the server refuses on every request; an
    8.x client serves 8.x servers and, by REST compatibility, 9.x ones."""
    client_major = int(CLIENT_VERSION.split(".")[0])
    if server[0] < client_major:
        raise ConfigurationError(
            f"Elasticsearch at {url} runs {server[0]}.{server[1]} but the installed client is {CLIENT_VERSION}: "
            f"install elasticsearch>={server[0]}.13,<{server[0] + 1}")
