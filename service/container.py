"""Builds the services and clients from settings: the only wiring place (with create_app)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from service.domain import DomainConfig, load_domain
from service.embeddings import Embedder, load_embedder
from service.errors import BackendUnavailableError
from service.index.base import ProfileIndex
from service.local_redis import LocalRedis
from service.queue import JobQueue, connect
from service.settings import Settings


@dataclass
class Services:
    """Everything a view, a job or a command needs; built once per process."""

    settings: Settings
    domain: DomainConfig
    index: ProfileIndex
    _embedder: Embedder | None = None
    _queue: JobQueue | None = None
    _local_redis: LocalRedis | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def embedder(self) -> Embedder:
        """Loaded on first use (or preloaded by the worker and gunicorn)."""
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    s = self.settings
                    embedder = load_embedder(s.model_name, s.models_dir, s.embed_batch_size, s.embed_backend)
                    self._check_dims(embedder)
                    self._embedder = embedder
        return self._embedder

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def _check_dims(self, embedder: Embedder) -> None:
        check = getattr(self.index, "check_model", None)
        if check is not None:
            check(embedder.name, embedder.dims)

    @property
    def queue(self) -> JobQueue:
        if self._queue is None:
            with self._lock:
                if self._queue is None:
                    self._queue = JobQueue(connect(self.redis_url()), self.settings.job_timeout_s)
        return self._queue

    # Services are cheap objects built per call for one principal (the caller's key);
    # without a principal they act for the operator (CLI, jobs).
    def match_service(self, principal: Any = None) -> Any:
        from service.matches import MatchService
        from service.matching.matcher import Matcher

        events = self.event_service(principal)
        gap_vectors = self.extras.setdefault("gap_vectors", {})
        return MatchService(Matcher(self.index, self.embedder, self.domain, gap_vectors),
                            self.index, self.settings.data_dir / "results", lambda: self.queue,
                            events.member_ids, guard=events.guard, events=events)

    def event_service(self, principal: Any = None) -> Any:
        from service.events.service import EventService
        from service.events.store import EventStore

        if "event_store" not in self.extras:
            self.extras["event_store"] = EventStore(self.settings.data_dir / "events.sqlite3")
        return EventService(self.extras["event_store"], self.index, guard=self.guard(principal))

    def agenda_service(self, principal: Any = None) -> Any:
        from service.events.agendas import AgendaService

        return AgendaService(self.event_service(principal), lambda: self.queue)

    def profile_service(self, principal: Any = None) -> Any:
        from service.profiles import ProfileService

        return ProfileService(self.index, self.guard(principal), self.event_service(principal))

    def guard(self, principal: Any = None) -> Any:
        from service.access.policy import SYSTEM_GUARD, Guard

        return SYSTEM_GUARD if principal is None else Guard(principal)

    @property
    def keys(self) -> Any:
        from service.access.keys import KeyStore

        if "keys" not in self.extras:
            self.extras["keys"] = KeyStore(self.settings.data_dir / "access.sqlite3")
        return self.extras["keys"]

    @property
    def audit(self) -> Any:
        from service.access.audit import AuditLog

        if "audit" not in self.extras:
            self.extras["audit"] = AuditLog(self.settings.data_dir / "access.sqlite3")
        return self.extras["audit"]

    def redis_url(self) -> str:
        """REDIS_URL, or the local server of the embedded default (started if needed)."""
        if self.settings.redis_url:
            return self.settings.redis_url
        if self._local_redis is None:
            self._local_redis = LocalRedis(self.settings.data_dir / "redis")
        try:
            return self._local_redis.start()
        except RuntimeError as exc:
            raise BackendUnavailableError(f"local Redis could not start: {exc}") from exc


def build_index(settings: Settings) -> ProfileIndex:
    if settings.backend == "elasticsearch":
        from service.index.elastic import ElasticIndex  # the only module importing elasticsearch

        return ElasticIndex.from_settings(settings)
    from service.index.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.store_path, settings.vector_index, settings.hnsw_threshold)


def build_services(settings: Settings, overrides: dict[str, Any] | None = None) -> Services:
    overrides = overrides or {}
    domain = overrides.get("domain") or load_domain(settings.config_dir)
    index = overrides.get("index") or build_index(settings)
    services = Services(settings=settings, domain=domain, index=index)
    if overrides.get("embedder") is not None:
        services._embedder = overrides["embedder"]
        services._check_dims(services._embedder)
    if overrides.get("queue") is not None:
        services._queue = overrides["queue"]
    return services


_current: Services | None = None


def current_services() -> Services:
    """The process-wide services for RQ job functions (set by the worker before its loop)."""
    global _current
    if _current is None:
        from service.settings import load_settings

        _current = build_services(load_settings())
    return _current


def set_current_services(services: Services | None) -> None:
    global _current
    _current = services
