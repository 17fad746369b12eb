"""Match-batch results on disk: written once by the job, readable only by whoever started the
batch (and admins), gone after RESULTS_TTL_S, and gone with any member they mention."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from service.access.keys import Principal
from service.csv_export import csv_text
from service.errors import ForbiddenError, NotFoundError

RESULTS_TTL_S = 7 * 24 * 3600  # as long as RQ keeps the job's own result
CSV_COLUMNS = ["seeker", "rank", "partner", "name", "country", "score", "sentence", "gaps_filled"]


class BatchResults:
    def __init__(self, directory: Path, ttl_s: int = RESULTS_TTL_S, clock: Any = time.time) -> None:
        self.dir = directory
        self.ttl_s = ttl_s
        self.clock = clock

    def _path(self, job_id: str, suffix: str) -> Path:
        return self.dir / f"{Path(job_id).name}.{suffix}"

    def save(self, job_id: str, rows: list[dict[str, Any]], owner: Principal) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        mentioned = sorted({r["seeker"] for r in rows} | {r["partner"] for r in rows})
        self._path(job_id, "json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        self._path(job_id, "csv").write_text(csv_text(CSV_COLUMNS, (
            [r["seeker"], r["rank"], r["partner"], r["name"], r["country"], r["score"], r["sentence"],
             "; ".join(r["gaps_filled"])] for r in rows)), encoding="utf-8")
        # Written last: results without their owner file are never served.
        self._path(job_id, "owner.json").write_text(json.dumps({
            "key_id": owner.key_id, "role": owner.role, "subject": owner.subject,
            "created_at": self.clock(), "mentions": mentioned}), encoding="utf-8")

    def read(self, job_id: str, fmt: str, caller: Principal) -> str:
        self.sweep()
        meta = self._meta(job_id)
        path = self._path(job_id, fmt)
        if meta is None or not path.is_file():
            raise NotFoundError(f"no results for batch {job_id!r} (not finished, failed, expired or unknown)")
        if not (caller.is_admin or caller.key_id == meta["key_id"]
                or (caller.role, caller.subject) == (meta["role"], meta["subject"])):
            raise ForbiddenError(f"{caller.role} {caller.subject or ''}".strip()
                                 + f" may not read the results of batch {job_id!r}")
        return path.read_text(encoding="utf-8")

    def _meta(self, job_id: str) -> dict[str, Any] | None:
        path = self._path(job_id, "owner.json")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _all(self) -> list[tuple[str, dict[str, Any]]]:
        if not self.dir.is_dir():
            return []
        found = []
        for path in self.dir.glob("*.owner.json"):
            job_id = path.name[: -len(".owner.json")]
            if (meta := self._meta(job_id)) is not None:
                found.append((job_id, meta))
        return found

    def delete(self, job_id: str) -> None:
        for suffix in ("owner.json", "json", "csv"):
            self._path(job_id, suffix).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Delete expired results; returns how many batches went."""
        expired = [job for job, meta in self._all() if self.clock() - meta["created_at"] > self.ttl_s]
        for job_id in expired:
            self.delete(job_id)
        return len(expired)

    def held_about(self, member_id: str) -> list[dict[str, Any]]:
        """Batches whose results mention the member (for its data export)."""
        return [{"batch": job, "started_by": f"{meta['role']} {meta['subject'] or ''}".strip(),
                 "expires_at": meta["created_at"] + self.ttl_s}
                for job, meta in self._all() if member_id in meta["mentions"]]

    def forget(self, member_id: str) -> int:
        held = self.held_about(member_id)
        for entry in held:
            self.delete(entry["batch"])
        return len(held)
