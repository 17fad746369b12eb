"""Unknown is not missing: a cluster that declares no chain and has no members claims no gaps."""
from __future__ import annotations

from typing import Any

from service.index.base import Page
from service.matching.coverage import Coverage
from service.matching.free_text import sells


class _Members:
    def __init__(self, members: list[dict[str, Any]]) -> None:
        self.members = members

    def search(self, kind: str, flt: Any, offset: int, limit: int) -> Page:
        return Page(self.members, len(self.members))


def test_no_chain_and_no_members_means_no_gaps(domain) -> None:
    cluster = {"id": "c", "sector": "aeronautics"}
    assert Coverage(_Members([]), domain).gaps("clusters", cluster, []) == {}


def test_member_evidence_shows_gaps(domain) -> None:
    members = [{"id": f"m{i}", "value_chain_links": ["machining"]} for i in range(3)]
    gaps = Coverage(_Members(members), domain).gaps("clusters", {"id": "c", "sector": "aeronautics"}, [])
    assert "machining" not in gaps and gaps["surface_treatment"] == ("missing", False)


def test_selling_requests() -> None:
    reverse = {"client", "distributor"}
    assert sells("distributor", "Importateurs pour nos cognacs", reverse)
    assert sells("licence", "Olive oil regions abroad to license our process", reverse)
    assert sells(None, "Wir suchen Lizenznehmer für unser Verfahren", reverse)
    assert not sells("licence", "Licence d'un procédé de traitement des margines", reverse)
    assert not sells("supplier", "Fournisseur de bouchons pour nos clients", reverse)


class _NoReads:
    def search(self, *args: Any) -> Page:
        raise AssertionError("members were read along with the seeker: no second read")

    def get_many(self, *args: Any) -> dict:
        raise AssertionError("clusters were read along with the seeker: no second read")


def test_members_and_clusters_read_along_are_used(domain) -> None:
    members = {"c": [{"value_chain_links": ["machining"]}, {"offers": [{"link": "machining"}]}]}
    cluster = {"id": "c", "sector": "aeronautics"}
    gaps = Coverage(_NoReads(), domain, members).gaps("clusters", cluster, [])
    assert "machining" not in gaps and gaps["surface_treatment"] == ("missing", False)
    # A member's clusters read along: only those its (possibly restricted) document lists count.
    coverage = Coverage(_NoReads(), domain, members, {"c": cluster, "hidden": {"id": "hidden"}})
    assert coverage.gaps("members", {"id": "m", "clusters": ["c"]}, []) == gaps
    assert Coverage(_NoReads(), domain, members, {"c": cluster}).gaps("members", {"id": "m"}, []) == {}
