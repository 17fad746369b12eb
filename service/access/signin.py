"""Sign-in without passwords: accounts (an e-mail address acting as a role for a subject) and
personal sign-in links that are signed, expire and work once. A signed-in account is a Principal,
so pages are checked by the same Guard as API keys."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.access.keys import ROLES, Principal
from service.errors import AuthenticationError, InvalidRequestError, NotFoundError
from service.sqlite_db import SqliteDatabase

LINK_TTL_S = 3 * 24 * 3600
SCHEMA = """
CREATE TABLE IF NOT EXISTS web_accounts (id TEXT PRIMARY KEY, email TEXT NOT NULL, role TEXT NOT NULL,
    subject TEXT, name TEXT, language TEXT, created_at TEXT NOT NULL, UNIQUE (email, role, subject));
CREATE TABLE IF NOT EXISTS used_signin_tokens (jti TEXT PRIMARY KEY, used_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    role: str
    subject: str | None
    name: str
    language: str | None

    @property
    def principal(self) -> Principal:
        return Principal(f"acct:{self.id}", self.role, self.subject)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SignIn:
    """Accounts and their one-time links. `secret` signs the links (the app's secret key)."""

    def __init__(self, path: Path, secret: str, ttl_s: int = LINK_TTL_S) -> None:
        self.db = SqliteDatabase(path, SCHEMA)
        self.serializer = URLSafeTimedSerializer(secret, salt="maillon-signin")
        self.ttl_s = ttl_s

    # -- accounts -----------------------------------------------------------------------------
    def register(self, email: str, role: str, subject: str | None, name: str = "",
                 language: str | None = None) -> Account:
        """Idempotent: the same (e-mail, role, subject) is one account."""
        email = (email or "").strip().lower()
        if "@" not in email:
            raise InvalidRequestError(f"not an e-mail address: {email!r}", {"email": ["invalid"]})
        if role not in ROLES:
            raise InvalidRequestError(f"unknown role {role!r}; roles: {', '.join(ROLES)}", {"role": ["unknown"]})
        if role != "admin" and not subject:
            raise InvalidRequestError(f"a {role} account needs a subject", {"subject": ["missing"]})
        with self.db.transaction() as conn:
            row = conn.execute("SELECT id FROM web_accounts WHERE email = ? AND role = ? AND subject IS ?",
                               (email, role, subject)).fetchone()
            if row is None:
                conn.execute("INSERT INTO web_accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (secrets.token_hex(6), email, role, subject, name, language, _now()))
            elif language or name:
                conn.execute("UPDATE web_accounts SET name = coalesce(nullif(?, ''), name), "
                             "language = coalesce(?, language) WHERE id = ?", (name, language, row[0]))
        return self.accounts_of(email, role=role, subject=subject)[0]

    def accounts_of(self, email: str, role: str | None = None, subject: str | None = None) -> list[Account]:
        sql = "SELECT id, email, role, subject, name, language FROM web_accounts WHERE email = ?"
        args: list[str | None] = [(email or "").strip().lower()]
        if role:
            sql += " AND role = ? AND subject IS ?"
            args += [role, subject]
        return [Account(*row) for row in self.db.conn().execute(sql + " ORDER BY created_at", args)]

    def account(self, account_id: str) -> Account:
        row = self.db.conn().execute("SELECT id, email, role, subject, name, language FROM web_accounts "
                                     "WHERE id = ?", (account_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no account {account_id!r}")
        return Account(*row)

    def account_for(self, role: str, subject: str | None) -> Account | None:
        """The first account acting as this subject (the addressee of its notifications)."""
        row = self.db.conn().execute("SELECT id, email, role, subject, name, language FROM web_accounts "
                                     "WHERE role = ? AND subject IS ? ORDER BY created_at", (role, subject)).fetchone()
        return Account(*row) if row else None

    def set_language(self, account_id: str, language: str) -> None:
        self.db.conn().execute("UPDATE web_accounts SET language = ? WHERE id = ?", (language, account_id))

    # -- links --------------------------------------------------------------------------------
    def token_for(self, account: Account) -> str:
        return self.serializer.dumps({"a": account.id, "j": secrets.token_urlsafe(12)})

    def redeem(self, token: str) -> Account:
        """The account a link signs in; a link works once and for LINK_TTL_S seconds."""
        try:
            data = self.serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired as exc:
            raise AuthenticationError("this sign-in link has expired: ask for a new one") from exc
        except BadSignature as exc:
            raise AuthenticationError("this sign-in link is not valid") from exc
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM used_signin_tokens WHERE jti = ?", (data["j"],)).fetchone():
                raise AuthenticationError("this sign-in link was used already: ask for a new one")
            conn.execute("INSERT INTO used_signin_tokens VALUES (?, ?)", (data["j"], _now()))
        return self.account(data["a"])


def secret_key(configured: str | None, data_dir: Path) -> str:
    """MAILLON_SECRET_KEY, else one random key kept in the data dir so that every process
    (gunicorn workers, RQ workers) and every restart signs alike."""
    if configured:
        return configured
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="ascii") as out:  # first process wins
                out.write(secrets.token_urlsafe(48))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip()


class CalendarTokens:
    """A secret per participant for the calendar subscription URL: calendar apps cannot sign in,
    so the URL itself is the credential. It acts as the member the participant is, nothing more."""

    def __init__(self, secret: str) -> None:
        from itsdangerous import URLSafeSerializer

        self.serializer = URLSafeSerializer(secret, salt="maillon-calendar")

    def token(self, event_id: str, participant: dict[str, Any]) -> str:
        return self.serializer.dumps([event_id, participant["id"], participant.get("member_id")])

    def principal(self, token: str) -> tuple[str, str, Principal]:
        """(event id, participant id, the member acting) of a token; AuthenticationError if forged."""
        try:
            event_id, pid, member_id = self.serializer.loads(token)
        except (BadSignature, ValueError) as exc:
            raise AuthenticationError("unknown calendar address") from exc
        if not member_id:
            raise AuthenticationError("this participant has no member profile to act for")
        return event_id, pid, Principal(f"cal:{pid}", "member", member_id)
