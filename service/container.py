"""The composition root: builds the clients and services from settings, once per process.

Every factory is typed. Services act for one caller: a factory takes the caller's Principal
and there is no default, so a service built without a caller cannot exist (fail closed).
The CLI and jobs name theirs explicitly (`SYSTEM`, the operator).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from service.access.audit import AuditLog, AuditService
from service.access.keys import KeyStore, Principal
from service.access.policy import Guard
from service.access.signin import CalendarTokens, SignIn, secret_key
from service.batch_results import BatchResults
from service.cooperation.service import CooperationService, build_cooperation, refresh_weights
from service.cooperation.settings import load_pipeline_config
from service.cooperation.store import CooperationStore
from service.cooperation.weights import base_weights
from service.cpu import limit_threads
from service.domain_config import DomainConfig, load_domain
from service.embed_backend import backend_choice
from service.embeddings import Embedder, load_embedder
from service.errors import BackendUnavailableError
from service.events.store import EventStore
from service.index.base import ProfileIndex
from service.label_vectors import LabelVectorStore
from service.lazy_embedder import LazyEmbedder
from service.local_redis import LocalRedis
from service.match_cache import CachedMatcher, MatchCache, SharedTier
from service.model_assets import KNOWN_MODELS
from service.notify.agenda import AgendaNotices
from service.notify.meetings import MeetingRequests
from service.notify.outbox import Outbox
from service.notify.service import Notifier
from service.overview import Overview
from service.profile_edits import ProfileEditor
from service.queue import JobQueue, JobService, connect
from service.settings import Settings
from service.uploads import UploadService

if TYPE_CHECKING:
    from service.agenda.service import AgendaService
    from service.events.service import EventService
    from service.matching.service import MatchService
    from service.profiles import ProfileService

log = logging.getLogger(__name__)


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
    # Each value-chain link's gap text, encoded once per process (see Matcher).
    gap_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # config/pipeline.yaml keys replaced by the caller (tests shorten the follow-up delays).
    pipeline_overrides: dict[str, Any] | None = None
    # Which applied weights this process uses (service.cooperation.refresh_weights).
    weights_stamp: Any = None
    # A command that embeds a text or two and exits: the quickest model to load (load_embedder).
    one_shot: bool = False
    # Match pages between two views, valid for one data version (service.match_cache).
    match_cache: MatchCache = field(default_factory=MatchCache)

    # -- clients --------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """Loaded on first use (or by warm())."""
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    embedder = lazy_embedder(self.settings, lambda: self.one_shot, self._has_vectors)
                    self.index.check_model(embedder.name, embedder.dims)  # a known model: not loaded yet
                    self._embedder = embedder
        return self._embedder

    def _has_vectors(self) -> bool:
        return any(self.index.count(kind) for kind in ("clusters", "members"))

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None and getattr(self._embedder, "loaded", True)

    def use_embedder(self, embedder: Embedder) -> None:
        """A prebuilt model (tests, the demo's cached vectors), checked against the store."""
        self.index.check_model(embedder.name, embedder.dims)
        self._embedder = embedder

    @property
    def queue(self) -> JobQueue:
        if self._queue is None:
            with self._lock:
                if self._queue is None:
                    self._queue = JobQueue(connect(self.redis_url()), self.settings.job_timeout_s)
        return self._queue

    def use_queue(self, queue: JobQueue) -> None:
        self._queue = queue


    def redis_url(self) -> str:
        """REDIS_URL, or the local server of the embedded default (started and owned here)."""
        if self.settings.redis_url:
            return self.settings.redis_url
        if self._local_redis is None:
            self._local_redis = LocalRedis(self.settings.data_dir / "redis")
        try:
            return self._local_redis.start()
        except RuntimeError as exc:
            raise BackendUnavailableError(f"local Redis could not start: {exc}") from exc

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(self.settings.data_dir / "access.sqlite3")

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.settings.data_dir / "access.sqlite3")

    @cached_property
    def event_store(self) -> EventStore:
        return EventStore(self.settings.data_dir / "events.sqlite3")

    @cached_property
    def batch_results(self) -> BatchResults:
        return BatchResults(self.settings.data_dir / "results")

    @cached_property
    def cooperation_store(self) -> CooperationStore:
        return CooperationStore(self.settings.data_dir / "cooperation.sqlite3")

    @cached_property
    def pipeline_config(self) -> dict[str, Any]:
        return load_pipeline_config(self.settings.config_dir, self.pipeline_overrides)

    @cached_property
    def base_weights(self) -> dict[str, Any]:
        """The hand-set weights of config/matching.yaml, before any learned ones were applied."""
        return base_weights(self.domain.matching)

    @cached_property
    def shared_match_cache(self) -> SharedTier:
        """The match cache's entries in Redis, for every worker of the deployment."""
        return SharedTier(lambda: self.queue.connection)

    # -- services, per caller -------------------------------------------------------------------
    def guard(self, caller: Principal) -> Guard:
        return Guard(caller)

    def match_service(self, caller: Principal, cached: bool = False) -> MatchService:
        from service.matching.matcher import Matcher
        from service.matching.service import MatchService

        events = self.event_service(caller)
        refresh_weights(self)  # weights an admin applied from outcomes (service.cooperation)
        matcher: Any = Matcher(self.index, self.embedder, self.domain, self.gap_vectors)
        if cached:  # pages viewed again and again; batches and the API rank afresh
            matcher = CachedMatcher(matcher, self.match_cache, self.shared_match_cache)
        return MatchService(matcher, self.index, self.settings.data_dir / "results", lambda: self.queue,
                            events.member_ids, guard=events.guard, events=events)

    def event_service(self, caller: Principal) -> EventService:
        from service.events.service import EventService

        # An accepted request opens (or joins) a cooperation record between the two sides.
        listeners = (lambda event_id, req: self.cooperation_service(caller).outcomes.request_answered(event_id, req),)
        return EventService(self.event_store, self.index, guard=self.guard(caller), listeners=listeners)

    def agenda_service(self, caller: Principal, cached: bool = False) -> AgendaService:
        """`cached`: the meetings' reasons come from the pages' match cache (web pages, feeds)."""
        from service.agenda.service import AgendaService

        return AgendaService(self.event_service(caller), lambda: self.queue,
                             lambda: self.match_service(caller, cached=cached))

    def profile_service(self, caller: Principal) -> ProfileService:
        from service.profiles import ProfileService

        return ProfileService(self.index, self.guard(caller), self.event_service(caller),
                              self.cooperation_service(caller), self.batch_results)

    def cooperation_service(self, caller: Principal) -> CooperationService:
        """Records, outcomes, figures and learned weights."""
        return build_cooperation(self, caller)

    def job_service(self, caller: Principal) -> JobService:
        return JobService(lambda: self.queue, self.guard(caller))

    def audit_service(self, caller: Principal) -> AuditService:
        return AuditService(self.audit, self.guard(caller))

    def upload_service(self, caller: Principal) -> UploadService:
        return UploadService(lambda: self.queue, self.settings.uploads_dir, self.guard(caller))

    # -- web app and notifications (service/web, service/notify) ------------------------------
    @cached_property
    def signin(self) -> SignIn:
        return SignIn(self.settings.data_dir / "access.sqlite3", self._secret)

    @cached_property
    def calendar_tokens(self) -> CalendarTokens:
        return CalendarTokens(self._secret)

    @cached_property
    def _secret(self) -> str:
        return secret_key(self.settings.secret_key, self.settings.data_dir)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.settings.data_dir / "outbox.sqlite3")

    def notifier(self) -> Notifier:
        """E-mails: written in the recipient's language, kept in the outbox, sent by RQ jobs."""
        return Notifier(self.outbox, lambda: self.queue, self.signin, self.settings.public_url)

    def meeting_requests(self, caller: Principal) -> MeetingRequests:
        return MeetingRequests(self.event_service(caller), self.notifier())

    def agenda_notices(self, caller: Principal) -> AgendaNotices:
        from datetime import timedelta

        from service.notify.reminders import ReminderSchedule

        lead = self.settings.reminder_lead_hours  # 0: no automatic reminder
        reminders = ReminderSchedule(lambda: self.queue, timedelta(hours=lead)) if lead > 0 else None
        return AgendaNotices(self.agenda_service(caller), self.notifier(), reminders)

    def overview(self, caller: Principal) -> Overview:
        return Overview(self.event_service(caller), self.agenda_service(caller, cached=True),
                        lambda: self.match_service(caller, cached=True))

    def profile_editor(self, caller: Principal) -> ProfileEditor:
        return ProfileEditor(self.index, self.domain, lambda: self.queue, self.settings.uploads_dir,
                             self.guard(caller))

    # -- process lifecycle ----------------------------------------------------------------------
    def warm(self) -> None:
        """Before serving or forking: load the model and the vectors once, so forked children
        (gunicorn workers, RQ work horses) share them instead of each loading its own."""
        limit_threads(self.settings.cpu_threads)
        _ = getattr(self.embedder, "model", None)  # a lazy model loads now, not at the first request
        self.index.warm()

    def warm_labels(self) -> None:
        """The template link labels and gap texts as vectors: from the data dir's label store, or
        encoded once and stored there, so later stored-seeker matches need no model. Not in warm():
        no encode may run in a parent that forks (its thread pool would be copied)."""
        from service.links import link_vocabulary
        from service.matching.gap_vectors import gap_vectors

        _ = link_vocabulary(self.domain, self.embedder).vectors
        gap_vectors(self.domain, self.embedder, self.gap_vectors, [])

    def after_fork(self) -> None:
        """In a forked child: no socket or SQLite connection may cross a fork."""
        limit_threads(self.settings.cpu_threads)
        self.index.after_fork()
        for db_owner in (self.__dict__.get(name) for name in ("keys", "audit", "event_store", "cooperation_store")):
            if db_owner is not None:
                db_owner.db.forget_connections()
        if self._queue is not None:
            self._queue.connection.connection_pool.reset()

    def close(self) -> None:
        """On shutdown: stop what this process owns (the local Redis)."""
        if self._local_redis is not None:
            self._local_redis.stop()


def lazy_embedder(settings: Settings, one_shot: Callable[[], bool] = lambda: False,
                  has_vectors: Callable[[], bool] = lambda: False) -> LazyEmbedder:
    """The configured model, loaded on its first encode, on the backend the data dir's vectors
    are made with (service.embed_backend); label vectors kept in the data dir, per backend."""
    def load(backend: str) -> Embedder:
        embedder = load_embedder(s.model_name, s.models_dir, s.embed_batch_size, backend,
                                 threads=s.cpu_threads, one_shot=one_shot())  # ONNX Runtime's pool too
        limit_threads(s.cpu_threads)  # torch is imported by now
        return embedder

    def labels(backend: str) -> LabelVectorStore:
        return LabelVectorStore(s.data_dir / "label_vectors", s.model_name, backend)

    s = settings
    known = KNOWN_MODELS.get(s.model_name)
    choice = backend_choice(s, has_vectors)
    return LazyEmbedder(s.model_name, lambda: load(choice.current()), known.dims if known else None,
                        choice=choice, load_backend=load, labels_for=labels)


def build_index(settings: Settings) -> ProfileIndex:
    if settings.backend == "elasticsearch":
        from service.index.elastic import ElasticIndex  # the only module importing elasticsearch

        return ElasticIndex.from_settings(settings)
    from service.index.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.store_path, settings.vector_index, settings.hnsw_threshold)


def build_services(settings: Settings, *, domain: DomainConfig | None = None, index: ProfileIndex | None = None,
                   embedder: Embedder | None = None, queue: JobQueue | None = None,
                   pipeline: dict[str, Any] | None = None) -> Services:
    """Everything is checked here, at startup: configuration files, the store and the model."""
    services = Services(settings=settings, domain=domain or load_domain(settings.config_dir),
                        index=index or build_index(settings), pipeline_overrides=pipeline)
    _ = services.pipeline_config  # config/pipeline.yaml is checked at startup too
    if embedder is not None:
        services.use_embedder(embedder)
    if queue is not None:
        services.use_queue(queue)
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

