"""SQLite persistence for the embedded backend: profiles, embedded items and a change log."""
from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from service.errors import BackendUnavailableError
from service.index.base import IndexedProfile, Item, ProfileFilter
from service.privacy import matchable_view
from service.sqlite_db import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
  kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, content_hash TEXT NOT NULL,
  name TEXT, country TEXT, sector TEXT, org_type TEXT, clusters TEXT, updated_at TEXT,
  PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS items (
  kind TEXT NOT NULL, profile_id TEXT NOT NULL, role TEXT NOT NULL, pos INTEGER NOT NULL,
  type TEXT, link TEXT, text TEXT NOT NULL, vector BLOB NOT NULL,
  PRIMARY KEY (kind, profile_id, role, pos));
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, profile_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS profiles_fts USING fts5(
  kind UNINDEXED, id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2');
"""


class SqliteStore:
    """One connection per thread; every write is a single transaction, so readers and an
    interrupted ingest only ever see whole profiles with all their items."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = SqliteDatabase(path, _SCHEMA)
        self._conn = self.db.conn

    def meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._conn().execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def uid(self) -> str:
        """This store's random identity (set on first use): a file of the same name is another store."""
        uid = self.meta("uid")
        if uid is None:
            self._conn().execute("INSERT OR IGNORE INTO meta VALUES ('uid', ?)", (uuid.uuid4().hex,))
            uid = self.meta("uid")
        assert uid is not None
        return uid

    def change_at(self, seq: int) -> list[str] | None:
        """[kind, profile id] logged at `seq`, or None."""
        row = self._conn().execute("SELECT kind, profile_id FROM changes WHERE seq = ?", (seq,)).fetchone()
        return list(row) if row else None

    def write(self, kind: str, profiles: Sequence[IndexedProfile]) -> None:
        conn = self._conn()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for p in profiles:
                self._delete_one(conn, kind, p.id)
                d = p.doc
                cur = conn.execute(
                    "INSERT INTO profiles VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (kind, p.id, json.dumps(d, ensure_ascii=False), p.content_hash, d.get("name"),
                     d.get("country"), d.get("sector"), d.get("org_type") or d.get("kind"),
                     json.dumps(d.get("clusters") or []), now),
                )
                conn.executemany(
                    "INSERT INTO items VALUES (?,?,?,?,?,?,?,?)",
                    [(kind, p.id, it.role, it.pos, it.type, it.link, it.text,
                      np.asarray(it.vector, dtype=np.float32).tobytes()) for it in p.items],
                )
                conn.execute(
                    # The full-text row shares the profile's rowid: deletes find it by key, not by scan.
                    "INSERT INTO profiles_fts (rowid, kind, id, body) VALUES (?,?,?,?)",
                    (cur.lastrowid, kind, p.id, _fts_body(d))
                )
                conn.execute("INSERT INTO changes (kind, profile_id) VALUES (?, ?)", (kind, p.id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete(self, kind: str, ids: Sequence[str]) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            removed = 0
            for pid in ids:
                removed += self._delete_one(conn, kind, pid)
                conn.execute("INSERT INTO changes (kind, profile_id) VALUES (?, ?)", (kind, pid))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return removed

    @staticmethod
    def _delete_one(conn: sqlite3.Connection, kind: str, pid: str) -> int:
        row = conn.execute("SELECT rowid FROM profiles WHERE kind = ? AND id = ?", (kind, pid)).fetchone()
        if row is None:
            return 0
        conn.execute("DELETE FROM profiles_fts WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM items WHERE kind = ? AND profile_id = ?", (kind, pid))
        conn.execute("DELETE FROM profiles WHERE rowid = ?", (row[0],))
        return 1

    def docs(self, kind: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {pid: loads(doc) for pid, doc in self.doc_texts(kind, ids).items()}

    def doc_texts(self, kind: str, ids: Iterable[str]) -> dict[str, str]:
        """The stored JSON of each doc, unparsed."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            out.update(self._conn().execute(
                f"SELECT id, doc FROM profiles WHERE kind = ? AND id IN ({marks})", (kind, *chunk)).fetchall())
        return out

    def hashes(self, kind: str, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            out.update(self._conn().execute(
                f"SELECT id, content_hash FROM profiles WHERE kind = ? AND id IN ({marks})",
                (kind, *chunk),
            ).fetchall())
        return out

    def count(self, kind: str) -> int:
        return self._conn().execute("SELECT count(*) FROM profiles WHERE kind = ?", (kind,)).fetchone()[0]

    def search(self, kind: str, flt: ProfileFilter, offset: int, limit: int) -> tuple[list[dict], int]:
        sql, args = _filter_sql(kind, flt)
        if flt.text:
            sql += " AND p.rowid IN (SELECT rowid FROM profiles_fts WHERE profiles_fts MATCH ?)"
            args.append(_fts_query(flt.text))
        conn = self._conn()
        try:
            total = conn.execute(f"SELECT count(*) FROM profiles p WHERE {sql}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT doc FROM profiles p WHERE {sql} ORDER BY p.name, p.id LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise BackendUnavailableError(f"embedded store query failed: {exc}") from exc
        return [loads(r[0]) for r in rows], total

    def lexical(self, kind: str, text: str, flt: ProfileFilter, limit: int) -> list[str]:
        """Profile ids ranked by FTS5's BM25 for any word of `text` (the filter's own text aside)."""
        words = re.findall(r"\w+", text)[:32]
        if not words or limit <= 0:
            return []
        sql, args = _filter_sql(kind, flt)
        try:
            rows = self._conn().execute(
                "SELECT p.id FROM profiles_fts JOIN profiles p ON p.rowid = profiles_fts.rowid "
                f"WHERE profiles_fts MATCH ? AND {sql} ORDER BY bm25(profiles_fts), p.id LIMIT ?",
                [" OR ".join(f'"{w}"' for w in words), *args, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            raise BackendUnavailableError(f"embedded store query failed: {exc}") from exc
        return [r[0] for r in rows]

    def items(self, kind: str, pid: str, dims: int) -> list[Item]:
        rows = self._conn().execute(
            "SELECT role, pos, type, link, text, vector FROM items WHERE kind = ? AND profile_id = ? "
            "ORDER BY role, pos", (kind, pid)).fetchall()
        return [Item(r, p, text, np.frombuffer(v, dtype=np.float32), t, link)
                for r, p, t, link, text, v in rows]

    def items_many(self, kind: str, ids: list[str]) -> dict[str, list[Item]]:
        """Items of many profiles in one query per 500 ids (re-ranking reads hundreds)."""
        out: dict[str, list[Item]] = {pid: [] for pid in ids}
        for chunk in _chunks(list(ids), 500):
            rows = self._conn().execute(
                "SELECT profile_id, role, pos, type, link, text, vector FROM items WHERE kind = ? AND "
                f"profile_id IN ({','.join('?' * len(chunk))}) ORDER BY profile_id, role, pos",
                (kind, *chunk)).fetchall()
            for (pid, r, p, t, link, text, _), v in zip(rows, _vectors([row[6] for row in rows])):
                out[pid].append(Item(r, p, text, v, t, link))
        return out

    def rows_since(self, seq: int) -> tuple[int, list[tuple[str, str]], bool]:
        """(last seq, changed (kind, id), whether the log was truncated past `seq`)."""
        conn = self._conn()
        # Two scalar subqueries: SQLite reads min() and max() off the key only when each is alone
        # in its query; together they scan the whole log (15 ms a find at 100k profiles).
        first, last = conn.execute(
            "SELECT (SELECT min(seq) FROM changes), (SELECT max(seq) FROM changes)").fetchone()
        if last is None or last <= seq:
            return seq, [], False
        changed = conn.execute(
            "SELECT DISTINCT kind, profile_id FROM changes WHERE seq > ?", (seq,)).fetchall()
        return last, changed, first is not None and first > seq + 1 and seq > 0

    def profile_rows(self, kind: str, ids: Sequence[str] | None = None) -> Iterator[tuple]:
        """(id, country, sector, org_type, clusters json) for all or some profiles."""
        sql = "SELECT id, country, sector, org_type, clusters FROM profiles WHERE kind = ?"
        if ids is None:
            yield from self._conn().execute(sql, (kind,))
            return
        for chunk in _chunks(list(ids), 500):
            yield from self._conn().execute(
                sql + f" AND id IN ({','.join('?' * len(chunk))})", (kind, *chunk))

    def item_rows(self, kind: str, ids: Sequence[str] | None = None) -> Iterator[tuple]:
        """(profile_id, role, pos, vector bytes), grouped by profile."""
        sql = "SELECT profile_id, role, pos, vector FROM items WHERE kind = ?"
        if ids is None:
            yield from self._conn().execute(sql + " ORDER BY profile_id", (kind,))
            return
        for chunk in _chunks(list(ids), 500):
            yield from self._conn().execute(
                sql + f" AND profile_id IN ({','.join('?' * len(chunk))}) ORDER BY profile_id",
                (kind, *chunk))

    def vector_rows(self, kind: str) -> list[tuple[str, str, int, bytes]]:
        """Every (profile_id, role, pos, vector bytes) of a kind, in key order, in one read."""
        return self._conn().execute(
            "SELECT profile_id, role, pos, vector FROM items WHERE kind = ? ORDER BY profile_id, role, pos",
            (kind,)).fetchall()

    def all_ids(self, kind: str) -> list[str]:
        return [r[0] for r in self._conn().execute(
            "SELECT id FROM profiles WHERE kind = ? ORDER BY id", (kind,))]


def _filter_sql(kind: str, flt: ProfileFilter) -> tuple[str, list[Any]]:
    """WHERE clause (on `profiles p`) and arguments of a filter, without its text."""
    where, args = ["p.kind = ?"], [kind]
    for column, values in (("country", flt.countries), ("sector", flt.sectors), ("org_type", flt.org_types)):
        if values:
            where.append(f"p.{column} IN ({','.join('?' * len(values))})")
            args.extend(sorted(values))
    if flt.exclude_countries:
        where.append(f"p.country NOT IN ({','.join('?' * len(flt.exclude_countries))})")
        args.extend(sorted(flt.exclude_countries))
    if flt.clusters:
        where.append("EXISTS (SELECT 1 FROM json_each(p.clusters) j WHERE j.value IN "
                     f"({','.join('?' * len(flt.clusters))}))")
        args.extend(sorted(flt.clusters))
    if flt.ids is not None:
        where.append(f"p.id IN ({','.join('?' * len(flt.ids))})")
        args.extend(sorted(flt.ids))
    if flt.exclude_ids:
        where.append(f"p.id NOT IN ({','.join('?' * len(flt.exclude_ids))})")
        args.extend(sorted(flt.exclude_ids))
    return " AND ".join(where), args


def _fts_body(doc: dict[str, Any]) -> str:
    doc = matchable_view(doc)  # full-text search never matches a private field
    parts = [doc.get("name") or "", doc.get("description") or "", " ".join(doc.get("competences") or []),
             " ".join(doc.get("themes") or []), " ".join(doc.get("technologies") or [])]
    parts += [o.get("text", "") for o in doc.get("offers") or []]
    return "\n".join(parts)


def _fts_query(text: str) -> str:
    # Only word characters, each quoted: user input can never be read as FTS5 syntax.
    words = re.findall(r"\w+", text)
    return " ".join(f'"{w}"' for w in words) or '""'


def _vectors(blobs: list[bytes]) -> Sequence[np.ndarray]:
    """Rows of one buffer decoded at once (150 candidates' items: ~15 % faster than one by one)."""
    if blobs and blobs[0] and all(len(b) == len(blobs[0]) for b in blobs):
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    return [np.frombuffer(b, dtype=np.float32) for b in blobs]


def loads(doc: str) -> dict[str, Any]:
    """A stored doc: orjson reads them ~7x faster than json (150 candidates: 2.4 vs 17 ms); json
    still reads what orjson refuses (a NaN written by json.dumps)."""
    try:
        return orjson.loads(doc)
    except orjson.JSONDecodeError:
        return json.loads(doc)


def _chunks(seq: list, size: int) -> Iterator[list]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
