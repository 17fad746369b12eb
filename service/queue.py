"""Background jobs over RQ with an explicit Redis connection: enqueue, status, progress."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from service.errors import BackendUnavailableError, NotFoundError

QUEUE_NAME = "maillon"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10,
                                health_check_interval=30)


class JobQueue:
    def __init__(self, connection: redis.Redis, default_timeout: int = 3600) -> None:
        self.connection = connection
        self.queue = Queue(QUEUE_NAME, connection=connection, default_timeout=default_timeout)

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def enqueue(self, func: str, *args: Any, description: str = "", retries: int = 1,
                meta: dict[str, Any] | None = None) -> str:
        """Enqueue a job by dotted path (service never imports indexers). Jobs are idempotent,
        so a job whose worker died is retried once before it is marked failed."""
        try:
            job = self.queue.enqueue(
                func, *args, description=description or func, meta=meta or {},
                retry=Retry(max=retries) if retries else None,
                result_ttl=7 * 24 * 3600, failure_ttl=7 * 24 * 3600,
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise BackendUnavailableError(f"job queue unavailable (Redis): {exc}") from exc
        return job.id

    def enqueue_in(self, delay: timedelta, func: str, *args: Any, description: str = "",
                   meta: dict[str, Any] | None = None) -> str:
        """Run a job (by dotted path) after `delay`: the worker's scheduler enqueues it when due."""
        try:
            job = self.queue.enqueue_in(delay, func, *args, description=description or func, meta=meta or {},
                                        result_ttl=7 * 24 * 3600, failure_ttl=30 * 24 * 3600)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise BackendUnavailableError(f"job queue unavailable (Redis): {exc}") from exc
        return job.id

    def enqueue_at(self, when: datetime, func: str, *args: Any, job_id: str, description: str = "",
                   meta: dict[str, Any] | None = None) -> str:
        """Run a job (by dotted path) at `when` (aware); the worker's scheduler enqueues it when
        due. A job of the same id that is still waiting is replaced, never doubled."""
        try:
            self.cancel_scheduled(job_id)
            job = self.queue.enqueue_at(when, func, *args, job_id=job_id, description=description or func,
                                        meta=meta or {}, result_ttl=7 * 24 * 3600, failure_ttl=30 * 24 * 3600)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise BackendUnavailableError(f"job queue unavailable (Redis): {exc}") from exc
        return job.id

    def cancel_scheduled(self, job_id: str) -> bool:
        """Drop a job that waits for its time (True when there was one)."""
        registry = self.queue.scheduled_job_registry
        if job_id not in registry:
            return False
        registry.remove(job_id, delete_job=True)
        return True

    def scheduled_at(self, job_id: str) -> datetime | None:
        """When a waiting job is due (None when no job of this id waits)."""
        registry = self.queue.scheduled_job_registry
        try:
            return registry.get_scheduled_time(job_id) if job_id in registry else None
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise BackendUnavailableError(f"job queue unavailable (Redis): {exc}") from exc

    def _unless_abandoned(self, job: Job) -> JobStatus | None:
        """A started job whose worker died (heartbeat expired) is retried or failed now, by
        RQ's own registry cleanup, rather than at the next worker's maintenance."""
        StartedJobRegistry(queue=self.queue).cleanup()
        return job.get_status(refresh=True)

    def status(self, job_id: str, guard: Any = None) -> dict[str, Any]:
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except (NoSuchJobError, ValueError) as exc:  # ValueError: not even a job id's shape
            raise NotFoundError(f"no job {job_id!r}") from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise BackendUnavailableError(f"job queue unavailable (Redis): {exc}") from exc
        status = job.get_status(refresh=True)
        if status == JobStatus.STARTED:
            status = self._unless_abandoned(job)
        meta = job.get_meta(refresh=True)
        if guard is not None:  # only the key that started a job (or an admin) reads it
            guard.check_job(meta)
        out: dict[str, Any] = {
            "id": job.id,
            "status": status.value if status else "unknown",
            "description": job.description,
            "progress": meta.get("progress"),
            "message": meta.get("message"),
            "enqueued_at": _iso(job.enqueued_at),
            "started_at": _iso(job.started_at),
            "ended_at": _iso(job.ended_at),
            "result": None,
            "error": None,
        }
        if status == JobStatus.FINISHED:
            out["result"] = job.return_value()
            out["progress"] = 1.0
        elif status == JobStatus.FAILED:
            latest = job.latest_result()  # job.exc_info is deprecated in RQ 2+
            out["error"] = _last_line(getattr(latest, "exc_string", None)) or "the job failed"
        return out


class JobService:
    """Job status for one caller: only the key that started a job (or an admin) reads it."""

    def __init__(self, queue: Callable[[], JobQueue], guard: Any) -> None:
        self.queue = queue
        self.guard = guard

    def status(self, job_id: str) -> dict[str, Any]:
        return self.queue().status(job_id, self.guard)


def report_progress(done: int, total: int, message: str = "") -> None:
    """Called from inside a job; a no-op when the function runs outside RQ (CLI)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = round(done / total, 4) if total else None
    job.meta["message"] = message or f"{done}/{total}"
    job.save_meta()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
