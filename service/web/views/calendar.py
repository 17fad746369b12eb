"""The calendar subscription feed: an ICS file addressed by a secret per-participant token
(calendar applications cannot sign in), which follows every new agenda version."""
from __future__ import annotations

from typing import Any

from flask import Response

from service.web.blueprint import bp, services


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str) -> Any:
    svc = services()
    event_id, pid, acting = svc.calendar_tokens.principal(token)
    body = svc.agenda_service(acting, cached=True).participant_ics(event_id, pid)  # polled: reasons cached
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{event_id}.ics"', "Cache-Control": "private, max-age=300"})
