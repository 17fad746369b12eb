"""ingest(): validate → normalise → skip unchanged → embed in batches → upsert; an IngestReport."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from indexers.documents import canonicalise_links, content_hash, embed_profiles
from indexers.sources import SourceRecord
from service.domain_config import DomainConfig
from service.embeddings import Embedder
from service.errors import InvalidRequestError
from service.index.base import ProfileIndex
from service.links import link_similarity, link_vocabulary
from service.profile_repair import load_profile
from service.profile_schemas import profile_schema

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    kind: str
    source: str = ""
    read: int = 0
    valid: int = 0
    invalid: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded_texts: int = 0
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list, repr=False)  # for the audit trail

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "ok": self.ok}
        out.pop("changed_ids")
        return out


def ingest(
    records: Iterable[SourceRecord],
    kind: str,
    index: ProfileIndex,
    embedder: Embedder,
    domain: DomainConfig,
    *,
    source: str = "",
    batch_size: int = 256,
    progress: Progress | None = None,
) -> IngestReport:
    """Every valid record lands even when others are invalid; each batch is one transaction."""
    started = time.perf_counter()
    report = IngestReport(kind=kind, source=source)
    records = list(records)
    limit = domain.limits["records_per_file"]
    if len(records) > limit:
        raise InvalidRequestError(f"{source or 'file'}: {len(records)} records > records_per_file={limit}",
                                  [{"locator": source, "field": "_file", "message": "too many records"}])
    schema = profile_schema(kind, domain)
    batch: dict[str, tuple[str, dict[str, Any]]] = {}
    first_seen: dict[str, str] = {}  # id -> locator, over the whole file (not one batch)
    for number, record in enumerate(records, 1):
        report.read += 1
        doc = _validate(record, schema, report)
        if doc is not None and doc["id"] in first_seen:
            # The first record of an id lands; a later one is an error, wherever it is.
            report.valid -= 1
            report.invalid += 1
            report.errors.append({"locator": record.locator, "field": "id",
                                  "message": f"duplicate id {doc['id']!r}: already at {first_seen[doc['id']]}; "
                                             "this record is skipped"})
            doc = None
        if doc is not None:
            first_seen[doc["id"]] = record.locator
            batch[doc["id"]] = (record.locator, doc)
        if len(batch) >= batch_size:
            _flush(batch, kind, index, embedder, domain, report)
        if progress:
            progress(number, len(records))
    _flush(batch, kind, index, embedder, domain, report)
    if kind == "members":
        _warn_unknown_clusters(index, report, records, schema)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _validate(record: SourceRecord, schema: Any, report: IngestReport) -> dict[str, Any] | None:
    if record.error is not None:
        report.invalid += 1
        report.errors.append({"locator": record.locator, "field": record.field, "message": record.error})
        return None
    doc, warnings, errors = load_profile(schema, record.data)
    report.warnings.extend({"locator": record.locator, **w} for w in warnings)
    if doc is None:
        report.invalid += 1
        report.errors.extend({"locator": record.locator, **e} for e in errors)
        return None
    report.valid += 1
    return doc


def _flush(
    batch: dict[str, tuple[str, dict[str, Any]]], kind: str, index: ProfileIndex,
    embedder: Embedder, domain: DomainConfig, report: IngestReport,
) -> None:
    if not batch:
        return
    docs = [doc for _, doc in batch.values()]
    stored = index.hashes(kind, [d["id"] for d in docs])
    changed, hashes = [], []
    for doc in docs:
        h = content_hash(doc, embedder.name)
        if stored.get(doc["id"]) == h:
            report.unchanged += 1
            continue
        changed.append(doc)
        hashes.append(h)
        report.changed_ids.append(doc["id"])
        if doc["id"] in stored:
            report.updated += 1
        else:
            report.inserted += 1
    if changed:
        vocabulary = link_vocabulary(domain, embedder)
        profiles = embed_profiles(kind, changed, hashes, embedder, vocabulary.label_vectors)
        notes = canonicalise_links(profiles, vocabulary, link_similarity(domain, embedder.name, "same_link"))
        report.warnings.extend({"locator": batch[pid][0], "field": field, "message": message}
                               for pid, field, message in notes)
        report.embedded_texts += sum(len(p.items) for p in profiles)
        index.upsert(kind, profiles)
    batch.clear()


def _warn_unknown_clusters(
    index: ProfileIndex, report: IngestReport, records: list[SourceRecord], schema: Any
) -> None:
    wanted: dict[str, str] = {}
    for record in records:
        for cid in (record.data or {}).get("clusters") or []:
            if isinstance(cid, str):
                wanted.setdefault(cid, record.locator)
    if not wanted:
        return
    known = set(index.hashes("clusters", list(wanted)))
    for cid, locator in wanted.items():
        if cid not in known:
            report.warnings.append({"locator": locator, "field": "clusters",
                                    "message": f"cluster {cid!r} is not in the index (yet)"})
