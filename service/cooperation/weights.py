"""WeightProposals: fit weights per search type from outcomes into a proposal; an admin applies
it (the previous weights stay as a version to roll back to). Applied weights overlay the
configured ones in every process that builds a matcher."""
from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from service.access.policy import Guard, check_weights_admin
from service.cooperation.records import actor_of, iso, utcnow
from service.cooperation.store import CooperationStore
from service.errors import ConflictError, InvalidRequestError, NotFoundError
from service.matching.weights import SEARCH_TYPES


class WeightProposals:
    def __init__(self, store: CooperationStore, guard: Guard, matching: dict[str, Any], base_weights: dict[str, Any],
                 cfg: dict[str, Any], clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.guard = guard
        self.matching = matching  # the live matching config of this process (updated on apply)
        self.base = base_weights  # config/matching.yaml as loaded, never changed
        self.cfg = cfg
        self.clock = clock

    def examples(self) -> list[Any]:
        from service.cooperation import learning  # scikit-learn loads only where weights are fitted

        return learning.collect_examples(self.store.records(), self.store.outcomes(), self.store.examples(),
                                         self.cfg["relevance"])

    def propose(self, search_types: list[str] | None = None) -> list[dict[str, Any]]:
        """One proposal per search type; with too few examples it says how many more and stores
        nothing that could be applied."""
        check_weights_admin(self.guard, "fit matching weights")
        refresh(self.matching, self.store, self.base)
        wanted = search_types or [t for t in SEARCH_TYPES if t != "text"]
        unknown = sorted(set(wanted) - set(SEARCH_TYPES))
        if unknown:
            raise InvalidRequestError(f"unknown search types {unknown}", {"search_types": unknown})
        from service.cooperation import learning

        examples = self.examples()
        out = []
        for search_type in wanted:
            mine = [e for e in examples if e.search_type == search_type]
            result = learning.propose(mine, self.matching["weights"][search_type], self.cfg)
            doc = {"id": f"wp-{uuid.uuid4().hex[:10]}", "search_type": search_type, "created_at": iso(self.clock()),
                   "created_by": actor_of(self.guard), **result}
            doc["status"] = "proposed" if result["status"] == "proposed" else "too_few_examples"
            self.store.put_proposal(doc)
            out.append(doc)
        return out

    def start(self, search_types: list[str] | None, caller: dict[str, Any], queue: Any) -> str:
        """Fit in the background (an RQ job acting for the same admin)."""
        check_weights_admin(self.guard, "fit matching weights")
        return queue.enqueue("service.cooperation.jobs.learn_weights", search_types, caller,
                             description="fit matching weights from outcomes", meta={"key_id": caller["key_id"]})

    def proposals(self) -> list[dict[str, Any]]:
        check_weights_admin(self.guard, "read weight proposals")
        return self.store.proposals()

    def proposal(self, pid: str) -> dict[str, Any]:
        check_weights_admin(self.guard, "read weight proposals")
        doc = self.store.proposal(pid)
        if doc is None:
            raise NotFoundError(f"no weight proposal {pid!r}")
        return doc

    def versions(self, search_type: str) -> list[dict[str, Any]]:
        check_weights_admin(self.guard, "read weight versions")
        return self.store.weight_versions(search_type)

    def apply(self, pid: str) -> dict[str, Any]:
        """Only an admin; the weights in use before are kept in the version for a rollback."""
        doc = self.proposal(pid)
        if doc["status"] != "proposed":
            raise ConflictError(f"proposal {pid!r} is {doc['status']}: only a 'proposed' one can be applied")
        version = self._new_version(doc["search_type"], doc["fitted_weights"], f"proposal {pid}")
        self.store.put_proposal({**doc, "status": "applied", "applied_at": version["applied_at"]})
        return version

    def rollback(self, search_type: str) -> dict[str, Any]:
        """Undo the latest applied proposal still in force: back to the weights before it. Each
        rollback goes one proposal further back, down to the configured weights."""
        check_weights_admin(self.guard, "roll back matching weights")
        versions = self.store.weight_versions(search_type)
        undone = {v["rollback_of"] for v in versions if v.get("rollback_of")}
        standing = [v for v in versions if not v.get("rollback_of") and v["version"] not in undone]
        if not standing:
            raise ConflictError(f"{search_type}: the configured weights are in use; nothing to roll back")
        last = standing[-1]
        return self._new_version(search_type, last["previous"], f"rollback of version {last['version']}",
                                 rollback_of=last["version"])

    def _new_version(self, search_type: str, weights: dict[str, float], why: str, **extra: Any) -> dict[str, Any]:
        with self.store.transaction() as conn:
            versions = self.store.weight_versions(search_type, conn)
            active = [v for v in versions if v["active"]]
            previous = active[-1]["weights"] if active else self.base[search_type]
            for v in active:
                self.store.put_weight_version({**v, "active": False}, conn)
            doc = {"search_type": search_type, "version": len(versions) + 1, "applied_at": iso(self.clock()),
                   "applied_by": actor_of(self.guard), "why": why, "weights": dict(weights),
                   "previous": dict(previous), "active": True, **extra}
            self.store.put_weight_version(doc, conn)
        refresh(self.matching, self.store, self.base)
        return doc


def refresh(matching: dict[str, Any], store: CooperationStore, base: dict[str, Any]) -> None:
    """Set the live weights to the configured ones overlaid with the applied versions."""
    active = store.active_weights()
    for search_type, weights in base.items():
        matching["weights"][search_type] = dict(active.get(search_type, weights))


def base_weights(matching: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(matching["weights"])
