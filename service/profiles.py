"""The profiles service: read and list cluster and member profiles as an audience may see them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.errors import NotFoundError
from service.index.base import ProfileFilter, ProfileIndex
from service.privacy import visible_view


@dataclass
class ProfilePage:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


class ProfileService:
    def __init__(self, index: ProfileIndex) -> None:
        self.index = index

    def read(self, kind: str, profile_id: str, audience: str = "public") -> dict[str, Any]:
        doc = self.index.get(kind, profile_id)
        if doc is None:
            raise NotFoundError(f"no {kind[:-1]} {profile_id!r}")
        return visible_view(doc, audience)

    def list(
        self, kind: str, flt: ProfileFilter, page: int = 1, page_size: int = 20,
        audience: str = "public",
    ) -> ProfilePage:
        found = self.index.search(kind, flt, (page - 1) * page_size, page_size)
        return ProfilePage([visible_view(d, audience) for d in found.items], found.total, page, page_size)
