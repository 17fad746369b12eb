"""The outbox: every notification, its text and its delivery state (organisers read it)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.errors import NotFoundError
from service.sqlite_db import SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, event_id TEXT, recipient TEXT NOT NULL,
    language TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, created_at TEXT NOT NULL, sent_at TEXT);
CREATE INDEX IF NOT EXISTS outbox_event ON outbox (event_id, created_at);
"""
COLUMNS = ("id", "kind", "event_id", "recipient", "language", "subject", "text", "html", "status", "attempts",
           "error", "created_at", "sent_at")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Outbox:
    def __init__(self, path: Path) -> None:
        self.db = SqliteDatabase(path, SCHEMA)

    def add(self, kind: str, recipient: str, language: str, subject: str, text: str, html: str,
            event_id: str | None = None) -> str:
        mail_id = f"m-{uuid.uuid4().hex[:12]}"
        self.db.conn().execute(
            "INSERT INTO outbox (id, kind, event_id, recipient, language, subject, text, html, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            (mail_id, kind, event_id, recipient, language, subject, text, html, _now()))
        return mail_id

    def get(self, mail_id: str) -> dict[str, Any]:
        row = self.db.conn().execute(f"SELECT {', '.join(COLUMNS)} FROM outbox WHERE id = ?", (mail_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no message {mail_id!r} in the outbox")
        return dict(zip(COLUMNS, row))

    def attempt(self, mail_id: str, error: str | None) -> None:
        """One delivery attempt: sent, or the error that a retry may still fix."""
        if error is None:
            self.db.conn().execute("UPDATE outbox SET status = 'sent', attempts = attempts + 1, error = NULL, "
                                   "sent_at = ? WHERE id = ?", (_now(), mail_id))
        else:
            self.db.conn().execute("UPDATE outbox SET status = 'retrying', attempts = attempts + 1, error = ? "
                                   "WHERE id = ?", (error[:500], mail_id))

    def give_up(self, mail_id: str) -> None:
        self.db.conn().execute("UPDATE outbox SET status = 'failed' WHERE id = ?", (mail_id,))

    def list(self, event_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM outbox"
        args: tuple[Any, ...] = ()
        if event_id is not None:
            sql += " WHERE event_id = ?"
            args = (event_id,)
        rows = self.db.conn().execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT ?", (*args, limit))
        return [dict(zip(COLUMNS, r)) for r in rows]
