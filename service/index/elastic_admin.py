"""Elasticsearch index administration: versioned mappings, creation, aliases, atomic swaps.

It uses the client handed over by service.index.elastic (which alone imports `elasticsearch`)
and asks it to return 404/400 answers instead of raising, so it needs no exception classes.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.errors import ConfigurationError
from service.index import queries
from service.index.base import ProfileFilter

log = logging.getLogger(__name__)
MAPPING_VERSION = 1
DEEP_PAGE = 1_000  # hits with their documents per page of a listing beyond the window
PIT_KEEP_ALIVE = "2m"  # between two pages of a whole-collection read, not for all of it
Errors = Callable[[str], AbstractContextManager[None]]


class IndexAdmin:
    """Names: aliases `<prefix>-<kind>` and `<prefix>-<kind>-items`; indices behind them
    `<alias>-v<mapping version>-<timestamp>` (or `-initial` for the very first ones)."""

    def __init__(self, client: Callable[[], Any], prefix: str, mappings_dir: Path, errors: Errors,
                 replicas: int | None = None) -> None:
        self._client = client  # a getter: the index owns one client per process
        self.prefix = prefix
        self.mappings_dir = mappings_dir
        self.errors = errors
        self.replicas = replicas

    @property
    def es(self) -> Any:
        return self._client()

    def alias(self, kind: str, items: bool = False) -> str:
        return f"{self.prefix}-{kind}-items" if items else f"{self.prefix}-{kind}"

    def new_names(self, kind: str) -> dict[bool, str]:
        """Fresh index names for a rebuild: items flag -> name."""
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)
        return {items: f"{self.alias(kind, items)}-v{MAPPING_VERSION}-{stamp}" for items in (False, True)}

    def concrete(self, alias: str) -> list[str]:
        with self.errors(f"resolve alias {alias}"):
            resp = self.es.options(ignore_status=404).indices.get_alias(name=alias)
        return [] if resp.meta.status == 404 else sorted(resp.body)

    def vector_mapping(self, kind: str) -> tuple[str, int, str | None] | None:
        """(index, dims, model) of the items index behind the alias, if there is one."""
        with self.errors(f"read the mapping of {self.alias(kind, True)}"):
            resp = self.es.options(ignore_status=404).indices.get_mapping(index=self.alias(kind, True))
        if resp.meta.status == 404:
            return None
        for index, body in resp.body.items():
            mapping = body["mappings"]
            return index, int(mapping["properties"]["vector"]["dims"]), (mapping.get("_meta") or {}).get("model")
        return None

    def check_vectors(self, kinds: Sequence[str], model_name: str, dims: int) -> None:
        """ConfigurationError when an items index holds vectors of another model or size."""
        for kind in kinds:
            found = self.vector_mapping(kind)
            if found is None:
                continue
            index, held_dims, held_model = found
            if held_dims != dims or (held_model and held_model != model_name):
                raise ConfigurationError(
                    f"Elasticsearch index {index} holds {held_model or 'unknown-model'} vectors of {held_dims} "
                    f"dimensions but the configured model {model_name} has {dims}: reindex into a new "
                    "ES_INDEX_PREFIX or set MAILLON_MODEL back")

    def create(self, kind: str, items: bool, name: str, dims: int | None, model: str | None,
               server: tuple[int, int], with_alias: bool) -> None:
        """Create one index from the versioned template; with_alias only if the alias is free."""
        alias = self.alias(kind, items)
        with self.errors(f"create index {name}"):
            if with_alias and self.es.indices.exists_alias(name=alias):
                return
            body = queries.index_body(self.template(kind)["items" if items else "profiles"], dims or 0, model, server,
                                      self.replicas)
            resp = self.es.options(ignore_status=400).indices.create(
                index=name, settings=body["settings"], mappings=body["mappings"],
                aliases={alias: {}} if with_alias else None)
        if resp.meta.status == 400:
            error = resp.body.get("error", {})
            if error.get("type") != "resource_already_exists_exception":  # else: another process won
                raise ConfigurationError(f"Elasticsearch refused index {name}: {error.get('reason', error)}")

    def template(self, kind: str) -> dict[str, Any]:
        path = self.mappings_dir / f"{kind}-v{MAPPING_VERSION}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"Elasticsearch mapping {path}: {exc}") from exc

    def swap(self, kind: str, new: dict[bool, str]) -> list[str]:
        """Point both aliases of `kind` at the new indices in one call; returns the old indices."""
        with self.errors(f"swap the aliases of {kind}"):
            self.es.indices.refresh(index=list(new.values()))
            old = {items: self.concrete(self.alias(kind, items)) for items in new}
            self.es.indices.update_aliases(actions=queries.alias_actions(
                {self.alias(kind, items): (name, old[items]) for items, name in new.items()}))
        return [name for names in old.values() for name in names]

    def scan(self, indices: Sequence[str], body: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Pages of hits of a sorted body over whole indices: search_after inside one point in
        time, so a long read sees one snapshot and never meets the 10,000-hit window."""
        for index in indices:
            with self.point_in_time(index) as pit:
                if pit is not None:
                    yield from self.pages(pit, body)

    @contextmanager
    def point_in_time(self, index: str | Sequence[str]) -> Iterator[dict[str, str] | None]:
        """A point in time on `index` (None if it does not exist), closed afterwards."""
        with self.errors(f"open a point in time on {index}"):
            resp = self.es.options(ignore_status=404).open_point_in_time(index=index, keep_alive=PIT_KEEP_ALIVE)
        if resp.meta.status == 404:
            yield None
            return
        pit = {"id": resp.body["id"], "keep_alive": PIT_KEEP_ALIVE}
        try:
            yield pit
        finally:
            try:
                with self.errors("close a point in time"):
                    self.es.options(ignore_status=404).close_point_in_time(id=pit["id"])
            except Exception as exc:  # it expires by itself; the read's own error matters more
                log.warning("could not close an Elasticsearch point in time: %s", exc)

    def pages(self, pit: dict[str, str], body: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Pages of a sorted body within a point in time (`pit` follows the newest id)."""
        body = {k: v for k, v in body.items() if k != "from"}
        while True:
            with self.errors("read a page"):
                resp = self.es.search(pit=dict(pit), **queries.search_kwargs(body))
            pit["id"] = resp.get("pit_id") or pit["id"]
            hits = resp["hits"]["hits"]
            if hits:
                yield hits
            if len(hits) < body["size"]:
                return
            body["search_after"] = hits[-1]["sort"]

    def sorted_pages(self, index: str, body: dict[str, Any], what: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of a sorted body read with search_after (a bounded read such as a match's
        candidates: no point in time); nothing when the index does not exist yet."""
        while True:
            with self.errors(what):
                resp = self.es.options(ignore_status=404).search(index=index, **queries.search_kwargs(body))
            hits = [] if resp.meta.status == 404 else resp.body["hits"]["hits"]
            if hits:
                yield hits
            if len(hits) < body["size"]:
                return
            body = {**body, "search_after": hits[-1]["sort"]}

    def deep_page(self, alias: str, flt: ProfileFilter, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """(docs, total) of a listing page beyond the 10,000-hit window, in the same order as
        list_body, read with search_after in a point in time; pages before the offset carry
        sort values only."""
        docs: list[dict[str, Any]] = []
        seen, total = 0, 0
        with self.point_in_time(alias) as pit:
            if pit is None:
                return [], 0
            body = queries.list_page_body(flt, queries.WINDOW, with_source=False)
            while len(docs) < limit:
                skipping = seen + queries.WINDOW <= offset
                body["size"] = queries.WINDOW if skipping else DEEP_PAGE
                body["_source"] = False if skipping else queries.PROFILE_SOURCE
                with self.errors("list profiles"):
                    resp = self.es.search(pit=dict(pit), **queries.search_kwargs(body))
                pit["id"] = resp.get("pit_id") or pit["id"]
                total = int(resp["hits"]["total"]["value"])
                hits = resp["hits"]["hits"]
                for h in hits:
                    if seen >= offset and len(docs) < limit:
                        docs.append(h["_source"]["doc"])
                    seen += 1
                if len(hits) < body["size"]:
                    break
                body["search_after"] = hits[-1]["sort"]
        return docs, total

    def names(self, kinds: Sequence[str]) -> Iterator[str]:
        for kind in kinds:
            for items in (False, True):
                yield from self.concrete(self.alias(kind, items))

    def drop_quietly(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                with self.errors(f"delete index {name}"):
                    self.es.options(ignore_status=404).indices.delete(index=name)
            except Exception as exc:  # cleanup must not hide the error that caused it
                log.warning("could not delete Elasticsearch index %s: %s", name, exc)


def safe_url(url: str) -> str:
    """ES_URL without credentials, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        return f"{scheme}{sep}***@{rest.split('@', 1)[1]}"
    return url
