"""Elasticsearch index administration: versioned mappings, creation, aliases, atomic swaps.

It uses the client handed over by service.index.elastic (which alone imports `elasticsearch`)
and asks it to return 404/400 answers instead of raising, so it needs no exception classes.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.errors import ConfigurationError
from service.index import queries

log = logging.getLogger(__name__)
MAPPING_VERSION = 1
Errors = Callable[[str], AbstractContextManager[None]]


class IndexAdmin:
    """Names: aliases `<prefix>-<kind>` and `<prefix>-<kind>-items`; indices behind them
    `<alias>-v<mapping version>-<timestamp>` (or `-initial` for the very first ones)."""

    def __init__(self, client: Any, prefix: str, mappings_dir: Path, errors: Errors) -> None:
        self.es = client
        self.prefix = prefix
        self.mappings_dir = mappings_dir
        self.errors = errors

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
            body = queries.index_body(self.template(kind)["items" if items else "profiles"], dims or 0, model, server)
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
        """Pages of hits of a sorted body, with search_after (no point-in-time: a page reflects
        the index at the moment it is read)."""
        body = dict(body)
        for index in indices:
            while True:
                with self.errors(f"scan {index}"):
                    resp = self.es.options(ignore_status=404).search(index=index, **queries.search_kwargs(body))
                hits = [] if resp.meta.status == 404 else resp.body["hits"]["hits"]
                if hits:
                    yield hits
                if len(hits) < body["size"]:
                    break
                body["search_after"] = hits[-1]["sort"]

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
