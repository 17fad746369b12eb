"""Sign-in accounts, one-time links and calendar tokens (no model, no Redis)."""
from __future__ import annotations

from pathlib import Path

import pytest

from service.access.signin import CalendarTokens, SignIn, secret_key
from service.errors import AuthenticationError, InvalidRequestError


def test_link_signs_in_once(tmp_path: Path) -> None:
    signin = SignIn(tmp_path / "a.sqlite3", "s3cret")
    account = signin.register(" Léa.Dupont@Example.FR ", "member", "m-1", "Léa", "fr")
    assert account.email == "léa.dupont@example.fr" and account.principal.role == "member"
    assert signin.register("lea.dupont@example.fr".replace("lea", "léa"), "member", "m-1").id == account.id
    token = signin.token_for(account)
    assert signin.redeem(token).id == account.id
    with pytest.raises(AuthenticationError, match="used already"):
        signin.redeem(token)
    with pytest.raises(AuthenticationError, match="not valid"):
        SignIn(tmp_path / "b.sqlite3", "another secret").redeem(signin.token_for(account))


def test_expired_link(tmp_path: Path) -> None:
    signin = SignIn(tmp_path / "a.sqlite3", "s3cret", ttl_s=-1)
    with pytest.raises(AuthenticationError, match="expired"):
        signin.redeem(signin.token_for(signin.register("x@example.org", "organiser", "org")))


@pytest.mark.parametrize(("email", "role", "subject", "field"), [
    ("no-at-sign", "member", "m", "email"), ("a@b.example", "superuser", "m", "role"),
    ("a@b.example", "cluster_manager", None, "subject")])
def test_account_errors_name_the_field(tmp_path: Path, email, role, subject, field) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        SignIn(tmp_path / "a.sqlite3", "s").register(email, role, subject)
    assert field in caught.value.errors


def test_calendar_token_acts_only_as_its_member() -> None:
    tokens = CalendarTokens("s3cret")
    token = tokens.token("ev-1", {"id": "p-1", "member_id": "m-1"})
    event_id, pid, who = tokens.principal(token)
    assert (event_id, pid, who.role, who.subject) == ("ev-1", "p-1", "member", "m-1")
    with pytest.raises(AuthenticationError):
        tokens.principal(token[:-2] + "xx")
    with pytest.raises(AuthenticationError):
        tokens.principal(tokens.token("ev-1", {"id": "p-2", "member_id": None}))


def test_secret_key_is_made_once_per_data_dir(tmp_path: Path) -> None:
    first = secret_key(None, tmp_path)
    assert len(first) > 40 and secret_key(None, tmp_path) == first
    assert secret_key("configured", tmp_path) == "configured"
