"""Paged reads on Elasticsearch through IndexAdmin (which holds the client): the items of many
profiles, and every profile with its items for a reindex or an export."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.index import es_documents as documents
from service.index import queries
from service.index.base import IndexedProfile, Item
from service.index.elastic_admin import IndexAdmin

TERMS_MAX = 10_000  # ids per terms query, within its limit


def items_many(admin: IndexAdmin, items_alias: str, ids: Sequence[str]) -> dict[str, list[Item]]:
    """Items of many profiles, read sorted with search_after (one search per 10,000 items)."""
    ids = list(dict.fromkeys(ids))
    out: dict[str, list[Item]] = {pid: [] for pid in ids}
    for start in range(0, len(ids), TERMS_MAX):
        body = queries.items_many_body(ids[start : start + TERMS_MAX], queries.WINDOW)
        for hits in admin.sorted_pages(items_alias, body, "read items"):
            for h in hits:
                out[h["_source"]["profile_id"]].append(documents.to_item(h["_source"]))
    return out


def iter_profiles(admin: IndexAdmin, kind: str, batch_size: int) -> Iterator[IndexedProfile]:
    """Every profile with its items, as of one point in time on each index (a reindex or an
    export reads a snapshot, however long it takes and however many profiles there are)."""
    with admin.point_in_time(admin.alias(kind)) as pit, admin.point_in_time(admin.alias(kind, True)) as items_pit:
        if pit is None:
            return
        for hits in admin.pages(pit, queries.scan_body(None, batch_size)):
            items: dict[str, list[Item]] = {}
            if items_pit is not None:
                body = queries.scan_items_body([h["_id"] for h in hits], 1000)
                for item_hits in admin.pages(items_pit, body):
                    for h in item_hits:
                        items.setdefault(h["_source"]["profile_id"], []).append(documents.to_item(h["_source"]))
            for h in hits:
                src = h["_source"]
                yield IndexedProfile(kind, src["id"], src["doc"], src["content_hash"], items.get(src["id"], []))
