"""Per-field visibility: what of a profile each audience may see."""
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


def visible_view(doc: dict[str, Any], audience: str = "public") -> dict[str, Any]:
    """A copy of `doc` without the fields `audience` may not see (and without the settings)."""
    allowed = ALLOWED[audience]
    view = {
        key: value for key, value in doc.items()
        if key in ALWAYS_SHOWN or field_level(doc, key) in allowed
    }
    if audience != "owner":
        view.pop("visibility", None)
    return view


def usable_in_matching(doc: dict[str, Any], name: str) -> bool:
    """Private fields feed matching only when the owner opted in (visibility 'members' or public)."""
    return field_level(doc, name) != Visibility.PRIVATE.value
