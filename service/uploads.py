"""Profile file uploads: saved under the data dir and ingested by a background job."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO

from service.access.policy import Guard
from service.errors import InvalidRequestError
from service.queue import JobQueue

ACCEPTED = (".csv", ".json", ".jsonl", ".ndjson", ".xlsx")
# Dotted path: service never imports indexers, the worker does.
INGEST_JOB = "indexers.jobs.ingest_file"
UPLOAD_TTL_S = 24 * 3600


def accept_upload(queue: JobQueue, uploads_dir: Path, kind: str, filename: str, stream: IO[bytes],
                  guard: Guard) -> str:
    """Store the upload and enqueue its ingest; returns the job id."""
    guard.check_ingest()
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ACCEPTED:
        raise InvalidRequestError(
            f"file {filename!r}: unsupported type {suffix or '(none)'}; use {', '.join(ACCEPTED)}",
            {"file": [f"unsupported file type {suffix or '(none)'}"]})
    uploads_dir.mkdir(parents=True, exist_ok=True)
    sweep_uploads(uploads_dir)
    target = uploads_dir / f"{uuid.uuid4().hex}{suffix}"
    with target.open("wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    if target.stat().st_size == 0:
        target.unlink()
        raise InvalidRequestError(f"file {filename!r} is empty", {"file": ["empty file"]})
    who = guard.principal
    return queue.enqueue(INGEST_JOB, kind, str(target), filename, [who.key_id, who.role, who.subject],
                         description=f"ingest {kind} from {filename}", meta={"key_id": who.key_id})


class UploadService:
    """Profile files uploaded by one caller (the API's /ingest and the web pages)."""

    def __init__(self, queue: Callable[[], JobQueue], uploads_dir: Path, guard: Guard) -> None:
        self.queue = queue  # a provider: Redis is touched only once the file is accepted
        self.uploads_dir = uploads_dir
        self.guard = guard

    def accept(self, kind: str, filename: str, stream: IO[bytes]) -> str:
        self.guard.check_ingest()
        return accept_upload(self.queue(), self.uploads_dir, kind, filename, stream, self.guard)


def sweep_uploads(uploads_dir: Path, max_age_s: float = UPLOAD_TTL_S) -> int:
    """Delete uploads whose ingest never completed (the job failed for good) after a day;
    ingested ones are deleted by the job itself."""
    now, removed = time.time(), 0
    for path in uploads_dir.glob("*"):
        try:
            if path.is_file() and now - path.stat().st_mtime > max_age_s:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
