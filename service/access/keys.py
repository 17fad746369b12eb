"""API keys: random tokens shown once, stored as SHA-256 hashes, each with a role and a subject."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from service.errors import InvalidRequestError, NotFoundError
from service.sqlite_db import SqliteDatabase

ROLES = ("admin", "organiser", "cluster_manager", "member")
PREFIX = "mk_"


@dataclass(frozen=True)
class Principal:
    """Who calls: a role and the object it acts for (cluster id, member id, organiser name)."""

    key_id: str
    role: str
    subject: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Principal("system", "admin", None)  # the CLI, jobs and tests acting as the operator


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = SqliteDatabase(path)
        self._conn = self.db.conn
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, "
            "role TEXT NOT NULL, subject TEXT, name TEXT, created_at TEXT NOT NULL, revoked_at TEXT)")


    def create(self, role: str, subject: str | None = None, name: str = "") -> tuple[str, str]:
        """(key id, token). The token is returned once and never stored in clear."""
        if role not in ROLES:
            raise InvalidRequestError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if role != "admin" and not subject:
            raise InvalidRequestError(f"a {role} key needs a subject (the cluster, member or organiser it acts for)")
        key_id = secrets.token_hex(6)
        token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        self._conn().execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                             (key_id, _hash(token), role, subject, name,
                              datetime.now(UTC).isoformat(timespec="seconds")))
        return key_id, token

    def verify(self, token: str) -> Principal | None:
        if not token or not token.startswith(PREFIX):
            return None
        row = self._conn().execute(
            "SELECT id, hash, role, subject FROM api_keys WHERE hash = ? AND revoked_at IS NULL",
            (_hash(token),)).fetchone()
        if row is None or not hmac.compare_digest(row[1], _hash(token)):
            return None
        return Principal(row[0], row[2], row[3])

    def active(self, key_id: str) -> Principal | None:
        """The principal of a key that is still valid (a web session signed in with it)."""
        row = self._conn().execute("SELECT id, role, subject FROM api_keys WHERE id = ? AND revoked_at IS NULL",
                                   (key_id,)).fetchone()
        return Principal(*row) if row else None

    def revoke(self, key_id: str) -> None:
        cur = self._conn().execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                   (datetime.now(UTC).isoformat(timespec="seconds"), key_id))
        if cur.rowcount == 0:
            raise NotFoundError(f"no active key {key_id!r}")

    def list(self) -> list[dict[str, str | None]]:
        rows = self._conn().execute(
            "SELECT id, role, subject, name, created_at, revoked_at FROM api_keys ORDER BY created_at")
        return [dict(zip(("id", "role", "subject", "name", "created_at", "revoked_at"), r)) for r in rows]
