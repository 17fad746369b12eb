"""RQ jobs of the pipeline: ids and the caller in, summaries out. Each job acts for the caller
that started it (named explicitly), never for an all-powerful default."""
from __future__ import annotations

from typing import Any

from service.access.keys import Principal
from service.container import current_services


def _service(caller: dict[str, Any]) -> Any:
    return current_services().cooperation_service(Principal(**caller))


def ask_follow_up(fid: str, caller: dict[str, Any]) -> dict[str, Any]:
    """Due: the follow-up question opens for its side (pages and e-mails show open questions)."""
    doc = _service(caller).outcomes.ask(fid)
    return {"follow_up": doc["id"], "status": doc["status"]}


def ask_due_follow_ups(caller: dict[str, Any]) -> dict[str, Any]:
    return {"asked": _service(caller).outcomes.ask_due()}


def learn_weights(search_types: list[str] | None, caller: dict[str, Any]) -> dict[str, Any]:
    proposals = _service(caller).weights.propose(search_types)
    return {"proposals": [{"id": p["id"], "search_type": p["search_type"], "status": p["status"],
                           "message": p.get("message"), "gain": p.get("gain")} for p in proposals]}
