"""Match results kept per process between two views: a cluster's value chain or a member's
suggestions do not change until the index (or the matching weights) does.

Valid for one data version: the embedded store's change-log sequence, which every write (ingest,
delete, a profile edited through the web form, a visibility change) advances in whichever process
made it. A backend without such a version (Elasticsearch) is not cached at all. Entries are kept
pickled: a hit hands out a fresh copy nobody else holds, and the memory bound counts real bytes.
With Redis at hand the same entries are shared (SharedTier), so a page ranked by one gunicorn
worker is not ranked again by the next one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import redis

from service.matching.filters import MatchRequest

if TYPE_CHECKING:  # the matcher (numpy, scoring) loads only where a page matches
    from service.matching.matcher import Matcher, MatchPage

log = logging.getLogger(__name__)
MAX_BYTES = 32 * 1024 * 1024  # per process
# A miss ranks this many at least, so the pages asking the same search (the value chain's 20,
# partner search's 25) are slices of one entry. Not more: each kept result costs its view,
# sentence and pickling on the first view after a data change (the consortium builder's 90 rank
# on their own).
POOL = 30


def data_version(index: Any) -> str | None:
    """What changes whenever the index's data does, or None when the backend offers nothing
    cheap and reliable (then nothing is cached)."""
    hook = getattr(index, "data_version", None)
    if callable(hook):
        return hook()
    store = getattr(index, "store", None)
    db = getattr(store, "db", None)
    if db is None:
        return None
    # AUTOINCREMENT's counter only grows, even if old change rows are ever removed.
    row = db.conn().execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return f"{store.path}:{row[0] if row else 0}"


class MatchCache:
    """A byte-bounded LRU of pickled values, emptied when the data version moves."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.version: str | None = None
        self.size = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str, key: Hashable) -> Any | None:
        blob = self.get_blob(version, key)
        return None if blob is None else pickle.loads(blob)

    def get_blob(self, version: str, key: Hashable) -> bytes | None:
        with self._lock:
            self._check(version)
            blob = self._entries.get(key)
            if blob is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return blob

    def put(self, version: str, key: Hashable, value: Any) -> bytes:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.put_blob(version, key, blob)
        return blob

    def put_blob(self, version: str, key: Hashable, blob: bytes) -> None:
        if len(blob) > self.max_bytes:
            return
        with self._lock:
            self._check(version)
            old = self._entries.pop(key, None)
            self.size += len(blob) - (len(old) if old else 0)
            self._entries[key] = blob
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def _check(self, version: str) -> None:
        if version != self.version:  # a write happened somewhere: nothing kept is valid
            self._entries.clear()
            self.size = 0
            self.version = version

    def __len__(self) -> int:
        return len(self._entries)


class SharedTier:
    """The entries in Redis for every process of the deployment, under the data version and a
    canonical digest of the key; each expires after TTL_S (older versions are never read again).
    Best effort: Redis missing or failing means ranking locally, never an error."""

    TTL_S = 600
    MAX_BLOB = 4 * 1024 * 1024

    def __init__(self, connect: Callable[[], redis.Redis]) -> None:
        self.connect = connect
        self.hits = 0

    def get(self, version: str, key: Hashable) -> bytes | None:
        try:
            blob = self.connect().get(self._name(version, key))
        except Exception as exc:  # noqa: BLE001 - Redis down, unreachable or not configured
            log.debug("shared match cache unavailable: %s", exc)
            return None
        self.hits += blob is not None
        return blob

    def put(self, version: str, key: Hashable, blob: bytes) -> None:
        if len(blob) > self.MAX_BLOB:
            return
        try:
            self.connect().set(self._name(version, key), blob, ex=self.TTL_S)
        except Exception as exc:  # noqa: BLE001 - as in get()
            log.debug("shared match cache unavailable: %s", exc)

    @staticmethod
    def _name(version: str, key: Hashable) -> str:
        digest = hashlib.blake2b(json.dumps(canonical((version, key))).encode(), digest_size=20).hexdigest()
        return f"maillon:match-cache:{digest}"


def canonical(value: Any) -> Any:
    """The key as plain JSON that is the same in every process (a frozenset's order and a
    pickle are not: string hashes differ per process)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ["dc", type(value).__qualname__,
                {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=json.dumps)]
    if isinstance(value, (list, tuple)):
        return ["seq", [canonical(v) for v in value]]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"no canonical form for a cache key part of type {type(value).__name__}")


class CachedMatcher:
    """A Matcher whose find() answers from the cache when the same search was ranked under the
    same data version and weights. Everything else is the wrapped matcher's. Authorisation is not
    cached: MatchService checks the caller before it calls find()."""

    def __init__(self, matcher: Matcher, cache: MatchCache, shared: SharedTier | None = None) -> None:
        self.matcher = matcher
        self.cache = cache
        self.shared = shared

    def __getattr__(self, name: str) -> Any:
        return getattr(self.matcher, name)

    def find(self, req: MatchRequest) -> MatchPage:
        from service.matching.matcher import MatchPage

        version = data_version(self.matcher.index)
        if version is None:
            return self.matcher.find(req)
        # The whole request (seeker, filters, audience, whether the seeker's private fields may be
        # used) but the page window, plus the weights and knobs in force, name the ranking.
        key = ("find", replace(req, offset=0, limit=0), config_digest(self.matcher.cfg))
        end = req.offset + req.limit
        entry = self._get(version, key)
        if entry is None or (entry.limit < end and len(entry.page.items) < entry.page.total):
            limit = max(end, POOL)
            entry = _Entry(self.matcher.find(replace(req, offset=0, limit=limit)), limit)
            self._put(version, key, entry)
        page = entry.page
        return MatchPage(seeker=page.seeker, search_type=page.search_type,
                         items=page.items[req.offset : end], total=page.total)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Any other result derived from the index alone (a consortium table), under the same
        version rule; `key` must name everything the result depends on."""
        version = data_version(self.matcher.index)
        if version is None:
            return compute()
        full = ("memo", key, config_digest(self.matcher.cfg))
        found = self._get(version, full)
        if found is None:
            found = compute()
            self._put(version, full, found)
        return found

    def _get(self, version: str, key: Hashable) -> Any | None:
        blob = self.cache.get_blob(version, key)
        if blob is None and self.shared is not None:
            blob = self.shared.get(version, key)
            if blob is not None:
                self.cache.put_blob(version, key, blob)
        return None if blob is None else pickle.loads(blob)

    def _put(self, version: str, key: Hashable, value: Any) -> None:
        blob = self.cache.put(version, key, value)
        if self.shared is not None:
            self.shared.put(version, key, blob)


class _Entry:
    def __init__(self, page: MatchPage, limit: int) -> None:
        self.page = page
        self.limit = limit


def config_digest(cfg: dict[str, Any]) -> str:
    """The matching weights and knobs (an admin may apply learned weights at any time)."""
    return hashlib.blake2b(json.dumps(cfg, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()
