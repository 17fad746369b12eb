"""Guard: per-object authorisation for one principal. Services ask it before every read or
change of an object. There is no default principal: the CLI and jobs pass SYSTEM explicitly."""
from __future__ import annotations

from typing import Any

from service.access.keys import SYSTEM, Principal
from service.errors import ForbiddenError


class Guard:
    def __init__(self, principal: Principal) -> None:
        if not isinstance(principal, Principal):  # fail closed: no caller, no service
            raise ForbiddenError("no caller: a service must be called on behalf of someone")
        self.principal = principal

    @property
    def system(self) -> bool:
        """The operator (CLI, internal jobs), not a key holder."""
        return self.principal == SYSTEM

    @property
    def admin(self) -> bool:
        return self.principal.is_admin

    def _deny(self, what: str) -> ForbiddenError:
        p = self.principal
        return ForbiddenError(f"{p.role} {p.subject or ''}".strip() + f" may not {what}")

    # -- profiles -----------------------------------------------------------------------------
    def owns_profile(self, kind: str, doc: dict[str, Any]) -> bool:
        p = self.principal
        if p.is_admin:
            return True
        if p.role == "member":
            return kind == "members" and doc.get("id") == p.subject
        if p.role == "cluster_manager":
            return doc.get("id") == p.subject if kind == "clusters" else p.subject in (doc.get("clusters") or [])
        return False

    def audience(self, kind: str, doc: dict[str, Any]) -> str:
        """Owners see every field; any other key holder is a member of the network."""
        return "owner" if self.owns_profile(kind, doc) else "members"

    def check_profile_owner(self, kind: str, doc: dict[str, Any], action: str) -> None:
        if not self.owns_profile(kind, doc):
            raise self._deny(f"{action} {kind[:-1]} {doc.get('id')!r}")

    def check_ingest(self) -> None:
        if not self.admin:
            raise self._deny("ingest profile files")

    # -- matching -----------------------------------------------------------------------------
    def check_seeker(self, kind: str, doc: dict[str, Any]) -> None:
        """Searching on behalf of a profile reveals its needs' matches: owners only."""
        if not self.owns_profile(kind, doc):
            raise self._deny(f"search on behalf of {kind[:-1]} {doc.get('id')!r}")

    def check_batch(self, spec: dict[str, Any], event: dict[str, Any] | None) -> None:
        p = self.principal
        if p.is_admin:
            return
        if p.role == "cluster_manager" and spec.get("cluster") == p.subject:
            return
        if event is not None and self.manages_event(event):
            return
        raise self._deny("run this match batch")

    # -- events -------------------------------------------------------------------------------
    def check_event_create(self) -> None:
        if self.principal.role not in ("admin", "organiser"):
            raise self._deny("create events")

    def manages_event(self, event: dict[str, Any]) -> bool:
        p = self.principal
        return p.is_admin or (p.role == "organiser" and event.get("owner") == p.subject)

    def check_event_manage(self, event: dict[str, Any]) -> None:
        if not self.manages_event(event):
            raise self._deny(f"manage event {event['id']!r}")

    def is_participant(self, participant: dict[str, Any]) -> bool:
        p = self.principal
        return p.role == "member" and bool(participant.get("member_id")) and participant.get("member_id") == p.subject

    def is_member(self, member_id: str | None) -> bool:
        p = self.principal
        return p.role == "member" and bool(member_id) and member_id == p.subject

    def check_invitee(self, participant: dict[str, Any]) -> None:
        if not self.is_participant(participant):
            raise self._deny(f"answer the invitation of participant {participant['id']!r}")

    def check_answer(self, event: dict[str, Any], participant: dict[str, Any]) -> None:
        """Only the member a request is addressed to answers it; the organiser answers for a
        standalone participant it registered (nobody answers for a member)."""
        if participant.get("member_id"):
            if not self.is_participant(participant):
                raise self._deny(f"answer requests addressed to participant {participant['id']!r}")
        elif not self.manages_event(event):
            raise self._deny(f"answer requests for participant {participant['id']!r}")

    def check_participant(self, event: dict[str, Any], participant: dict[str, Any], action: str) -> None:
        """The organiser of the event, or the member the participant is."""
        if not (self.manages_event(event) or self.is_participant(participant)):
            raise self._deny(f"{action} for participant {participant['id']!r}")

    def check_register(self, event: dict[str, Any], data: dict[str, Any]) -> None:
        p = self.principal
        if self.manages_event(event) or (p.role == "member" and data.get("member_id") == p.subject):
            return
        raise self._deny(f"register participants at event {event['id']!r}")

    def check_participant_list(self, event: dict[str, Any], participants: list[dict[str, Any]]) -> None:
        if self.manages_event(event) or any(self.is_participant(x) for x in participants):
            return
        raise self._deny(f"list the participants of event {event['id']!r}")

    # -- administration -----------------------------------------------------------------------
    def check_audit(self) -> None:
        if not self.admin:
            raise self._deny("read the audit trail")

    # -- jobs ---------------------------------------------------------------------------------
    def check_job(self, meta: dict[str, Any]) -> None:
        if self.admin or meta.get("key_id") == self.principal.key_id:
            return
        raise self._deny("read this job")


# -- cooperation records (appended for the cooperation pipeline) -----------------------------------
def cooperation_sides(guard: Guard, record: dict[str, Any]) -> list[int]:
    """The sides (0, 1) of a cooperation record the caller acts for: the party itself, the
    cluster manager of a cluster party or of a member party's cluster, or an admin (both)."""
    return [i for i, party in enumerate(record["parties"]) if guard.owns_profile(party["kind"], party)]


def check_cooperation(guard: Guard, record: dict[str, Any], action: str) -> list[int]:
    """Only the two parties, their cluster managers and admins see or change a record."""
    sides = cooperation_sides(guard, record)
    if not sides:
        raise guard._deny(f"{action} cooperation record {record['id']!r}")
    return sides


def check_cooperation_figures(guard: Guard, cluster: str | None, event: dict[str, Any] | None) -> None:
    """Funnel figures: an event's to its organiser, a cluster's to its manager, all to admins."""
    p = guard.principal
    if p.is_admin:
        return
    if event is not None and cluster is None and guard.manages_event(event):
        return
    if cluster is not None and event is None and p.role == "cluster_manager" and p.subject == cluster:
        return
    raise guard._deny("read these cooperation figures")


def check_weights_admin(guard: Guard, action: str) -> None:
    if not guard.admin:
        raise guard._deny(action)
