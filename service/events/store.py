"""SQLite persistence of events, participants, meeting requests and agenda versions."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from service.sqlite_db import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
  event_id TEXT NOT NULL, id TEXT NOT NULL, profile_id TEXT, status TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (event_id, id));
CREATE TABLE IF NOT EXISTS requests (
  event_id TEXT NOT NULL, id TEXT NOT NULL, frm TEXT NOT NULL, "to" TEXT NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (event_id, id));
CREATE INDEX IF NOT EXISTS requests_by_pair ON requests (event_id, frm, "to");
CREATE TABLE IF NOT EXISTS agendas (
  event_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (event_id, version));
"""


class EventStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = SqliteDatabase(path, _SCHEMA)
        self._conn = self.db.conn
        # One writer at a time: caps and duplicate checks hold under concurrent requests.
        self.transaction = self.db.transaction

    # events
    def put_event(self, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute("INSERT OR REPLACE INTO events VALUES (?, ?)",
                                       (doc["id"], json.dumps(doc, ensure_ascii=False)))

    def event(self, event_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT doc FROM events WHERE id = ?", (event_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._conn().execute("SELECT doc FROM events ORDER BY id")]

    # participants
    def put_participant(self, event_id: str, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute(
            "INSERT OR REPLACE INTO participants VALUES (?, ?, ?, ?, ?)",
            (event_id, doc["id"], doc.get("member_id"), doc.get("status", "registered"),
             json.dumps(doc, ensure_ascii=False)))

    def participant(self, event_id: str, pid: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT doc FROM participants WHERE event_id = ? AND id = ?",
                                   (event_id, pid)).fetchone()
        return json.loads(row[0]) if row else None

    def participants(self, event_id: str, include_cancelled: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT doc FROM participants WHERE event_id = ?"
        if not include_cancelled:
            sql += " AND status != 'cancelled'"
        return [json.loads(r[0]) for r in self._conn().execute(sql + " ORDER BY rowid", (event_id,))]

    # requests
    def put_request(self, event_id: str, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute(
            "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event_id, doc["id"], doc["from"], doc["to"], doc["status"], doc["created_at"],
             json.dumps(doc, ensure_ascii=False)))

    def request(self, event_id: str, rid: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT doc FROM requests WHERE event_id = ? AND id = ?",
                                   (event_id, rid)).fetchone()
        return json.loads(row[0]) if row else None

    def requests(self, event_id: str, participant: str | None = None, status: str | None = None,
                 conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT doc FROM requests WHERE event_id = ?", [event_id]
        if participant:
            sql += ' AND (frm = ? OR "to" = ?)'
            args += [participant, participant]
        if status:
            sql += " AND status = ?"
            args.append(status)
        rows = (conn or self._conn()).execute(sql + " ORDER BY created_at, id", args)
        return [json.loads(r[0]) for r in rows]

    # agendas
    def add_agenda(self, event_id: str, state: str, doc: dict[str, Any], created_at: str) -> int:
        with self.transaction() as conn:
            row = conn.execute("SELECT max(version) FROM agendas WHERE event_id = ?", (event_id,)).fetchone()
            version = (row[0] or 0) + 1
            conn.execute("INSERT INTO agendas VALUES (?, ?, ?, ?, ?)",
                         (event_id, version, state, created_at,
                          json.dumps({**doc, "version": version, "state": state}, ensure_ascii=False)))
        return version

    def agenda(self, event_id: str, version: int | None = None) -> dict[str, Any] | None:
        if version is None:
            row = self._conn().execute("SELECT doc FROM agendas WHERE event_id = ? ORDER BY version DESC LIMIT 1",
                                       (event_id,)).fetchone()
        else:
            row = self._conn().execute("SELECT doc FROM agendas WHERE event_id = ? AND version = ?",
                                       (event_id, version)).fetchone()
        return json.loads(row[0]) if row else None
