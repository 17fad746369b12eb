"""Apply a late-changes delta to an instance (the four steps of AGENDA-FORMAT.md section 2)."""
from __future__ import annotations

import dataclasses

from service.agenda.formats import check_instance
from service.agenda.model import Delta, Instance
from service.errors import InvalidRequestError

_PATCHABLE = ("priority", "status", "created_at")


def apply_delta(instance: Instance, delta: Delta) -> Instance:
    """Return the updated event; the input instance is left untouched.

    Raises InvalidRequestError naming the delta field at fault (unknown participant or
    request, duplicate id, fixed table clash...).
    """
    errs: list[str] = []
    if delta.base_instance != instance.name:
        errs.append(f"base_instance: {delta.base_instance!r} != instance name {instance.name!r}")
    known = {p.id for p in instance.participants}
    cancelled = set(delta.cancel_participants)
    for i, pid in enumerate(delta.cancel_participants):
        if pid not in known:
            errs.append(f"cancel_participants[{i}]: unknown participant {pid!r}")
    # 1. remove cancelled participants and every request involving them
    participants = [p for p in instance.participants if p.id not in cancelled]
    removed = {r.id for r in instance.requests if r.frm in cancelled or r.to in cancelled}
    requests = [r for r in instance.requests if r.id not in removed]
    # 2. append new participants
    participants.extend(delta.add_participants)
    # 3. patch requests
    by_id = {r.id: i for i, r in enumerate(requests)}
    for i, upd in enumerate(delta.update_requests or ()):
        rid = upd.get("id")
        if rid in removed:
            continue  # its participant left: nothing left to patch
        if rid not in by_id:
            errs.append(f"update_requests[{i}].id: unknown request {rid!r}")
            continue
        patch = {k: upd[k] for k in _PATCHABLE if k in upd}
        requests[by_id[rid]] = dataclasses.replace(requests[by_id[rid]], **patch)
    # 4. append new requests
    requests.extend(delta.add_requests)
    updated = Instance(name=instance.name, event=dict(instance.event), slots=list(instance.slots),
                       num_tables=instance.num_tables, participants=participants,
                       requests=requests, table_labels=instance.table_labels)
    errs.extend(_locate(check_instance(updated), len(instance.participants) - len(cancelled),
                        len(instance.requests) - len(removed)))
    if errs:
        raise InvalidRequestError("invalid delta: " + "; ".join(errs[:5]), errors=errs)
    return updated


def _locate(errors: list[str], n_kept_participants: int, n_kept_requests: int) -> list[str]:
    """Rename paths of the merged instance to the delta field they came from when possible."""
    out = []
    for e in errors:
        for prefix, kept, field in (("participants[", n_kept_participants, "add_participants"),
                                    ("requests[", n_kept_requests, "add_requests")):
            if e.startswith(prefix):
                idx = int(e[len(prefix):e.index("]")])
                if idx >= kept:
                    e = f"{field}[{idx - kept}]" + e[e.index("]") + 1:]
                else:
                    e = "updated instance " + e
                break
        out.append(e)
    return out

