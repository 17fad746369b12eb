"""SQLite connections for the embedded default: one per thread, WAL, autocommit; a writer
takes `BEGIN IMMEDIATE` so concurrent processes serialise cleanly."""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.errors import BackendUnavailableError


class SqliteDatabase:
    def __init__(self, path: Path, schema: str = "") -> None:
        self.path = path
        self._local = threading.local()
        self._pid = os.getpid()
        path.parent.mkdir(parents=True, exist_ok=True)
        if schema:
            self.conn().executescript(schema)

    def conn(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # forked: the parent's connections stay the parent's
            self.forget_connections()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise BackendUnavailableError(f"local database {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    def forget_connections(self) -> None:
        """After a fork: a connection must never cross into another process."""
        self._local = threading.local()
        self._pid = os.getpid()

    def close(self) -> None:
        """Close the calling thread's connection (at shutdown, in this process only)."""
        conn = getattr(self._local, "conn", None)
        self._local = threading.local()
        if conn is not None:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
