"""The audit trail: who created or changed profiles, requests, events and agendas, and when."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.access.keys import Principal
from service.sqlite_db import SqliteDatabase


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = SqliteDatabase(path)
        self._conn = self.db.conn
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
            "key_id TEXT, role TEXT, subject TEXT, action TEXT NOT NULL, object TEXT, details TEXT)")


    def record(self, who: Principal, action: str, obj: str | None, details: dict[str, Any] | None = None) -> None:
        self._conn().execute(
            "INSERT INTO audit (at, key_id, role, subject, action, object, details) VALUES (?,?,?,?,?,?,?)",
            (datetime.now(UTC).isoformat(timespec="milliseconds"), who.key_id, who.role, who.subject, action, obj,
             json.dumps(details or {}, ensure_ascii=False)))

    def entries(self, obj: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        sql, args = "SELECT seq, at, key_id, role, subject, action, object, details FROM audit", []
        if obj:
            sql += " WHERE object = ? OR object LIKE ?"
            args += [obj, f"{obj}/%"]
        rows = self._conn().execute(sql + " ORDER BY seq DESC LIMIT ? OFFSET ?", [*args, limit, offset])
        keys = ("seq", "at", "key_id", "role", "subject", "action", "object", "details")
        return [{**dict(zip(keys, r)), "details": json.loads(r[7] or "{}")} for r in rows]


class AuditService:
    """The audit trail as one caller may read it (admins)."""

    def __init__(self, log: AuditLog, guard: Any) -> None:
        self.log = log
        self.guard = guard

    def entries(self, obj: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        self.guard.check_audit()
        return self.log.entries(obj, limit, offset)
