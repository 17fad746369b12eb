"""RQ job functions around the ingest pipeline: ids and paths in, a report dict out."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from indexers.pipeline import IngestReport, ingest
from indexers.sources import read_records
from service.access.keys import Principal
from service.container import current_services
from service.errors import InvalidRequestError
from service.queue import report_progress


def ingest_file(kind: str, path: str, filename: str | None = None,
                actor: list[str | None] | None = None) -> dict[str, Any]:
    """Ingest an uploaded file; the report (with per-record errors) is the job's result.
    A file that cannot be read at all gives a report with one file-level error."""
    services = current_services()
    source = Path(path)
    name = filename or source.name
    try:
        records = list(read_records(source, kind, name=name,
                                    max_records=services.domain.limits["records_per_file"]))
        report = ingest(
            records, kind, services.index, services.embedder, services.domain,
            source=name,
            progress=lambda done, total: report_progress(done, total, f"{done}/{total} records"),
        )
    except InvalidRequestError as exc:
        report = IngestReport(kind=kind, source=name)
        report.errors.append({"locator": name, "field": "_file", "message": exc.message})
        _forget_upload(source, services.settings.uploads_dir)
        return report.to_dict()
    # Other exceptions keep the file: RQ retries the job (a failed one is swept by accept_upload).
    _forget_upload(source, services.settings.uploads_dir)
    who = Principal(*(actor or ["system", "admin", None]))
    for pid in report.changed_ids:
        services.audit.record(who, "ingest", f"{kind}/{pid}", {"source": name})
    return report.to_dict()


def _forget_upload(source: Path, uploads_dir: Path) -> None:
    """An uploaded file is personal data held only until it is read: deleted once ingested
    or refused. Files named on the CLI (--enqueue) are the user's and stay."""
    try:
        if source.resolve().parent == uploads_dir.resolve():
            source.unlink(missing_ok=True)
    except OSError:
        pass
