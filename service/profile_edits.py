"""A profile edited in a form is saved through the same path as a file: validated by the
profile schema (errors per field, at once), then ingested by the ingest job (embedding and index
upsert), on behalf of its owner."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from service.access.policy import Guard
from service.domain_config import DomainConfig
from service.errors import InvalidRequestError, NotFoundError
from service.index.base import ProfileIndex
from service.profile_schemas import flatten_errors, profile_schema
from service.queue import JobQueue
from service.uploads import INGEST_JOB

# Kept from the stored profile: a form never sets who a member belongs to.
KEPT = {"members": ("clusters", "active_cooperations", "org_type"), "clusters": ("kind", "members_by_size")}


class ProfileEditor:
    def __init__(self, index: ProfileIndex, domain: DomainConfig, queue: Callable[[], JobQueue],
                 uploads_dir: Path, guard: Guard) -> None:
        self.index = index
        self.domain = domain
        self.queue = queue
        self.uploads_dir = uploads_dir
        self.guard = guard

    def current(self, kind: str, profile_id: str) -> dict[str, Any]:
        """The full profile, for its owner's form."""
        doc = self.index.get(kind, profile_id)
        if doc is None:
            raise NotFoundError(f"no {kind[:-1]} {profile_id!r}")
        self.guard.check_profile_owner(kind, doc, "edit")
        return doc

    def save(self, kind: str, profile_id: str, data: dict[str, Any]) -> str:
        """Validate now; ingest in the background. Returns the ingest job's id."""
        stored = self.current(kind, profile_id)
        record = {**{k: stored[k] for k in KEPT[kind] if k in stored}, **data, "id": profile_id}
        try:
            profile_schema(kind, self.domain).load(record)
        except ValidationError as exc:
            errors = {e["field"]: e["message"] for e in flatten_errors(exc.messages)}
            raise InvalidRequestError(f"the profile has {len(errors)} invalid field(s)", errors) from exc
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self.uploads_dir / f"{uuid.uuid4().hex}.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        who = self.guard.principal
        return self.queue().enqueue(INGEST_JOB, kind, str(path), f"form:{profile_id}",
                                    [who.key_id, who.role, who.subject],
                                    description=f"save {kind[:-1]} {profile_id} from the form",
                                    meta={"key_id": who.key_id})
