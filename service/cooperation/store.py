"""SQLite persistence of cooperation records, their history, meeting outcomes, follow-up
questions, unlinked learning examples, weight proposals and applied weight versions."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from service.sqlite_db import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS record_parties (
  record_id TEXT NOT NULL, profile_id TEXT NOT NULL, via TEXT NOT NULL, PRIMARY KEY (record_id, profile_id, via));
CREATE INDEX IF NOT EXISTS record_parties_by_profile ON record_parties (profile_id);
CREATE TABLE IF NOT EXISTS history (
  record_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (record_id, seq));
CREATE TABLE IF NOT EXISTS outcomes (
  record_id TEXT NOT NULL, meeting TEXT NOT NULL, side TEXT NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (record_id, meeting, side));
CREATE TABLE IF NOT EXISTS follow_ups (
  id TEXT PRIMARY KEY, record_id TEXT NOT NULL, side TEXT NOT NULL, due_at TEXT NOT NULL, status TEXT NOT NULL,
  doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS follow_ups_by_record ON follow_ups (record_id);
CREATE TABLE IF NOT EXISTS examples (
  id TEXT PRIMARY KEY, search_type TEXT NOT NULL, seeker TEXT NOT NULL, partner TEXT NOT NULL, at TEXT NOT NULL,
  doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proposals (
  id TEXT PRIMARY KEY, search_type TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS weight_versions (
  search_type TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, active INTEGER NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (search_type, version));
"""


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


class CooperationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = SqliteDatabase(path, _SCHEMA)
        self._conn = self.db.conn
        self.transaction = self.db.transaction

    def _rows(self, sql: str, args: tuple[Any, ...] = (), conn: sqlite3.Connection | None = None) -> list[Any]:
        return [json.loads(r[0]) for r in (conn or self._conn()).execute(sql, args)]

    # records ---------------------------------------------------------------------------------
    def put_record(self, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        conn = conn or self._conn()
        conn.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (doc["id"], doc["created_at"], _dump(doc)))
        conn.execute("DELETE FROM record_parties WHERE record_id = ?", (doc["id"],))
        for party in doc["parties"]:
            conn.execute("INSERT OR IGNORE INTO record_parties VALUES (?, ?, ?)", (doc["id"], party["id"], "party"))
            for cluster in party.get("clusters") or []:
                conn.execute("INSERT OR IGNORE INTO record_parties VALUES (?, ?, ?)", (doc["id"], cluster, "cluster"))

    def record(self, record_id: str, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
        found = self._rows("SELECT doc FROM records WHERE id = ?", (record_id,), conn)
        return found[0] if found else None

    def records(self, profile_id: str | None = None) -> list[dict[str, Any]]:
        """Every record, or those where `profile_id` is a party or the cluster of a member party."""
        if profile_id is None:
            return self._rows("SELECT doc FROM records ORDER BY created_at, id")
        return self._rows("SELECT doc FROM records WHERE id IN (SELECT record_id FROM record_parties "
                          "WHERE profile_id = ?) ORDER BY created_at, id", (profile_id,))

    def records_between(self, a: str, b: str, conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT doc FROM records WHERE id IN (SELECT x.record_id FROM record_parties x JOIN record_parties y "
            "ON x.record_id = y.record_id WHERE x.profile_id = ? AND y.profile_id = ? AND x.via = 'party' "
            "AND y.via = 'party') ORDER BY created_at", (a, b), conn)

    # history ---------------------------------------------------------------------------------
    def add_history(self, record_id: str, entry: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        conn = conn or self._conn()
        row = conn.execute("SELECT max(seq) FROM history WHERE record_id = ?", (record_id,)).fetchone()
        seq = (row[0] or 0) + 1
        conn.execute("INSERT INTO history VALUES (?, ?, ?, ?)",
                     (record_id, seq, entry["at"], _dump({**entry, "seq": seq})))

    def history(self, record_id: str) -> list[dict[str, Any]]:
        return self._rows("SELECT doc FROM history WHERE record_id = ? ORDER BY seq", (record_id,))

    def replace_history(self, record_id: str, entry: dict[str, Any], conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE history SET doc = ? WHERE record_id = ? AND seq = ?",
                     (_dump(entry), record_id, entry["seq"]))

    # outcomes --------------------------------------------------------------------------------
    def put_outcome(self, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute("INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?)",
                                       (doc["record_id"], doc["meeting_key"], doc["side"], doc["at"], _dump(doc)))

    def outcomes(self, record_id: str | None = None) -> list[dict[str, Any]]:
        if record_id is None:
            return self._rows("SELECT doc FROM outcomes ORDER BY at")
        return self._rows("SELECT doc FROM outcomes WHERE record_id = ? ORDER BY at", (record_id,))

    # follow-ups ------------------------------------------------------------------------------
    def put_follow_up(self, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute("INSERT OR REPLACE INTO follow_ups VALUES (?, ?, ?, ?, ?, ?)",
                                       (doc["id"], doc["record_id"], doc["side"], doc["due_at"], doc["status"],
                                        _dump(doc)))

    def follow_up(self, fid: str, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
        found = self._rows("SELECT doc FROM follow_ups WHERE id = ?", (fid,), conn)
        return found[0] if found else None

    def follow_ups(self, record_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT doc FROM follow_ups WHERE 1 = 1", []
        if record_id is not None:
            sql += " AND record_id = ?"
            args.append(record_id)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        return self._rows(sql + " ORDER BY due_at, id", tuple(args))

    # unlinked examples (declined requests) ----------------------------------------------------
    def put_example(self, doc: dict[str, Any]) -> None:
        self._conn().execute("INSERT OR REPLACE INTO examples VALUES (?, ?, ?, ?, ?, ?)",
                             (doc["id"], doc["search_type"], doc["seeker"], doc["partner"], doc["at"], _dump(doc)))

    def examples(self) -> list[dict[str, Any]]:
        return self._rows("SELECT doc FROM examples ORDER BY at, id")

    def forget_examples(self, profile_id: str) -> int:
        cur = self._conn().execute("DELETE FROM examples WHERE seeker = ? OR partner = ?", (profile_id, profile_id))
        return cur.rowcount

    # weights ---------------------------------------------------------------------------------
    def put_proposal(self, doc: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        (conn or self._conn()).execute("INSERT OR REPLACE INTO proposals VALUES (?, ?, ?, ?, ?)",
                                       (doc["id"], doc["search_type"], doc["created_at"], doc["status"], _dump(doc)))

    def proposal(self, pid: str) -> dict[str, Any] | None:
        found = self._rows("SELECT doc FROM proposals WHERE id = ?", (pid,))
        return found[0] if found else None

    def proposals(self) -> list[dict[str, Any]]:
        return self._rows("SELECT doc FROM proposals ORDER BY created_at DESC, id")

    def weight_versions(self, search_type: str, conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
        return self._rows("SELECT doc FROM weight_versions WHERE search_type = ? ORDER BY version",
                          (search_type,), conn)

    def put_weight_version(self, doc: dict[str, Any], conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO weight_versions VALUES (?, ?, ?, ?, ?)",
                     (doc["search_type"], doc["version"], doc["applied_at"], int(doc["active"]), _dump(doc)))

    def active_weights(self) -> dict[str, dict[str, float]]:
        """The weights applied by an admin, per search type (absent: the configured ones)."""
        rows = self._rows("SELECT doc FROM weight_versions WHERE active = 1")
        return {r["search_type"]: r["weights"] for r in rows}

    def weights_stamp(self) -> str:
        """Changes whenever an admin applies or rolls back weights (cheap to poll)."""
        row = self._conn().execute("SELECT count(*), coalesce(max(applied_at), ''), "
                                   "coalesce(sum(active * version), 0) FROM weight_versions").fetchone()
        return f"{row[0]}:{row[1]}:{row[2]}"
