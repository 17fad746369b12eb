"""After a member signs in, their suggestions are ranked in the background (an RQ job) into the
shared match cache (service.match_cache.SharedTier), so the page is ready when they open it from
their home page. Best effort: without a queue, or on a backend the cache skips, nothing is done."""
from __future__ import annotations

import logging
from typing import Any

from service.access.keys import Principal
from service.errors import BackendUnavailableError, ForbiddenError, NotFoundError
from service.match_cache import data_version

log = logging.getLogger(__name__)
JOB = "service.page_warmup.warm_member_pages"


def start(services: Any, who: Principal) -> None:
    if who.role != "member" or not who.subject or data_version(services.index) is None:
        return
    try:
        services.queue.enqueue(JOB, [who.key_id, who.role, who.subject],
                               description=f"suggestions of {who.subject} ready before they are opened", retries=0)
    except BackendUnavailableError as exc:
        log.info("suggestions not prepared in the background: %s", exc)


def warm_member_pages(by: list[str]) -> dict[str, Any]:
    """Runs as the member (the same Guard, so the same cache entries the pages read): their
    suggestions overall and at each event they are registered at."""
    from service.container import current_services

    who = Principal(*by)
    overview = current_services().overview(who)
    try:
        overview.suggestions(who.subject)
        events = [row["event"]["id"] for row in overview.my_participations()]
        for event_id in events:
            overview.suggestions(who.subject, event_id)
    except (NotFoundError, ForbiddenError) as exc:  # the profile went, or nothing to warm here
        return {"member": who.subject, "skipped": str(exc)}
    return {"member": who.subject, "events": events}
