"""The web app's part of `maillon demo`: a B2B event of the sample data with its participants and
a few requests, accounts for a demo organiser, SME and cluster manager, and a sign-in link each."""
from __future__ import annotations

from typing import Any

from service.access.keys import SYSTEM, Principal
from service.index.base import ProfileFilter

DEMO_EVENT = "demo-aero-days"
DEMO_ORGANISER = "demo-organiser"
DEMO_CLUSTER = "fr-pole-aeronautique-occitanie"
DEMO_SME = "fr-pole-aeronautique-occitanie-0001"
PARTICIPANTS = 40


def _event(services: Any) -> dict[str, Any]:
    events = services.event_service(SYSTEM)  # the operator sets the demo up
    if events.store.event(DEMO_EVENT):
        return events.event(DEMO_EVENT)
    event = events.create_event({
        "id": DEMO_EVENT, "title": "Aero B2B Days Toulouse", "timezone": "Europe/Paris",
        "days": ["2027-03-10", "2027-03-11"], "sessions": [{"start": "09:00", "end": "12:30"},
                                                           {"start": "14:00", "end": "17:30"}],
        "breaks": [{"start": "10:30", "end": "11:00"}], "slot_minutes": 30, "num_tables": 8,
        "request_expiry_hours": 24 * 30, "max_requests_per_participant": 20, "max_meetings_default": 8,
        "booking_deadline": None, "owner": DEMO_ORGANISER})
    sector = (services.index.get("members", DEMO_SME) or {}).get("sector", "aeronautics")
    found = services.index.search("members", ProfileFilter(sectors=frozenset({sector})), 0, PARTICIPANTS)
    ids = [DEMO_SME] + [d["id"] for d in found.items if d["id"] != DEMO_SME][: PARTICIPANTS - 1]
    # The demo's members register themselves (an organiser could only invite them).
    as_member = {mid: services.event_service(Principal(f"demo:{mid}", "member", mid)) for mid in ids}
    pids = [as_member[mid].register(DEMO_EVENT, {"member_id": mid})["id"] for mid in ids]
    for i, frm in enumerate(pids[1:12], 1):  # some traffic for the dashboard and the SME's inbox
        to = 0 if i % 3 == 0 else (i * 7) % len(pids)
        if pids[to] != frm:
            req = as_member[ids[i]].send_request(DEMO_EVENT, frm, {"to": pids[to], "note": "Rencontre au salon ?",
                                                                   "priority": 2})
            if i % 4 == 1:  # only the member a request is addressed to answers it
                as_member[ids[to]].answer(DEMO_EVENT, req["id"], accept=True)
    return event


def demo_signin_links(services: Any, base_url: str | None = None) -> dict[str, str]:
    """Sign-in links (role → URL) for the demo organiser, SME and cluster manager; `base_url` is
    where the demo serves the app (default: MAILLON_PUBLIC_URL)."""
    _event(services)
    sme = services.index.get("members", DEMO_SME) or {}
    signin, notifier = services.signin, services.notifier()
    if base_url:
        notifier.public_url = base_url.rstrip("/")
    accounts = {
        "organiser": signin.register("organiser@demo.maillon.example", "organiser", DEMO_ORGANISER,
                                     "Demo organiser", "en"),
        "member": signin.register(((sme.get("contact") or {}).get("email") or "sme@demo.maillon.example"),
                                  "member", DEMO_SME, sme.get("name", "Demo SME"), sme.get("language") or "fr"),
        "cluster_manager": signin.register("cluster@demo.maillon.example", "cluster_manager", DEMO_CLUSTER,
                                           "Demo cluster manager", "fr"),
    }
    return {role: notifier.signin_url(account) for role, account in accounts.items()}
