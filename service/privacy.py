"""Per-field visibility: the one rule deciding what of a profile each audience may see, what
matching and search may use, and which filters may select a profile.

The rule (README, "Access and privacy"): a value is revealed only to an audience its field's
level allows; a private value never feeds matching, full-text search or filters for anyone but
its owner, so no score, reason, sentence, hit or count can depend on it."""
from __future__ import annotations

from typing import Any

from service.vocab import Visibility

# Who sees which level: the public, members of the network, the owner (and admins).
ALLOWED = {
    "public": {Visibility.PUBLIC.value},
    "members": {Visibility.PUBLIC.value, Visibility.MEMBERS.value},
    "owner": {v.value for v in Visibility},
}
ALWAYS_SHOWN = frozenset({"id", "name", "country", "sector"})


def field_level(doc: dict[str, Any], name: str) -> str:
    return (doc.get("visibility") or {}).get(name, Visibility.PUBLIC.value)


def can_see(doc: dict[str, Any], name: str, audience: str) -> bool:
    """Whether `audience` may see field `name` of `doc`: the single check every output uses."""
    return name in ALWAYS_SHOWN or field_level(doc, name) in ALLOWED[audience]


def visible_view(doc: dict[str, Any], audience: str = "public") -> dict[str, Any]:
    """A copy of `doc` without the fields `audience` may not see (and without the settings)."""
    view = {key: value for key, value in doc.items() if key == "visibility" or can_see(doc, key, audience)}
    if audience != "owner":
        view.pop("visibility", None)
    return view


def matchable_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What matching, search and filters may use of a profile they do not act for: every field
    but the private ones (the visibility settings stay, scoring reads them)."""
    # `can_see` for every field, read the other way round: only the few fields with a level are looked at.
    hidden = {key for key, level in (doc.get("visibility") or {}).items()
              if level not in ALLOWED["members"] and key not in ALWAYS_SHOWN and key != "visibility"}
    return {key: value for key, value in doc.items() if key not in hidden} if hidden else dict(doc)


def usable_in_matching(doc: dict[str, Any], name: str) -> bool:
    """Private fields feed matching only when the owner opted in (visibility 'members' or public)."""
    return field_level(doc, name) != Visibility.PRIVATE.value
