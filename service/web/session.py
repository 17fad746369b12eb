"""Starting and ending a web session for a principal (from a sign-in link or an API key)."""
from __future__ import annotations

from flask import session

from service.access.keys import Principal
from service.access.signin import Account


def start_for_account(account: Account) -> Principal:
    session.clear()
    session.permanent = True
    session["who"] = {"via": "link", "account": account.id}
    if account.language:
        session["lang"] = account.language
    return account.principal


def start_for_key(principal: Principal) -> Principal:
    session.clear()
    session.permanent = True
    session["who"] = {"via": "key", "key_id": principal.key_id}
    return principal


def end() -> None:
    session.clear()


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: a sign-in link must not redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
