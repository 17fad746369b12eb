"""A member's data rights over cooperation records: export what concerns them, and on deletion
anonymise their side without breaking the other party's history."""
from __future__ import annotations

import uuid
from typing import Any

from service.access.policy import Guard
from service.cooperation.store import CooperationStore

GONE = "(deleted member)"


def member_data(store: CooperationStore, guard: Guard, member: dict[str, Any]) -> dict[str, Any]:
    """Records where the member is a party, their own outcomes and follow-ups whole, and of the
    other side only whether meetings took place (never their comments or ratings)."""
    guard.check_profile_owner("members", member, "export")
    out = []
    for record in store.records(member["id"]):
        sides = {str(i) for i, p in enumerate(record["parties"]) if p["kind"] == "members" and p["id"] == member["id"]}
        if not sides:
            continue  # listed through a cluster, not as a party
        outcomes = [o if o["side"] in sides else {k: o[k] for k in ("meeting_key", "side", "held", "at")}
                    for o in store.outcomes(record["id"])]
        follow_ups = [f for f in store.follow_ups(record["id"]) if f["side"] in sides]
        out.append({"record": record, "history": store.history(record["id"]), "outcomes": outcomes,
                    "follow_ups": follow_ups})
    return {"cooperation_records": out}


def forget_member(store: CooperationStore, guard: Guard, member: dict[str, Any]) -> int:
    """Replace the member by a pseudonym in each record, erase their comments, notes and the
    texts of the match; the record, its stages and the other side's entries stay."""
    guard.check_profile_owner("members", member, "delete")
    pseudonym = f"deleted-{uuid.uuid4().hex[:10]}"
    count = 0
    for record in store.records(member["id"]):
        sides = [i for i, p in enumerate(record["parties"]) if p["kind"] == "members" and p["id"] == member["id"]]
        if not sides:
            continue
        with store.transaction() as conn:
            for i in sides:
                record["parties"][i] = {**record["parties"][i], "id": pseudonym, "name": GONE}
            record["forgotten"] = sorted({*record.get("forgotten", []), *map(str, sides)})
            if record.get("match"):
                match = record["match"]
                ids = {k: pseudonym if match.get(k) == member["id"] else match.get(k) for k in ("seeker", "partner")}
                record["match"] = {**match, **ids, "sentence": None, "pairs": [],
                                   "criteria": {k: {**v, "reason": None} for k, v in match["criteria"].items()}}
            if (record.get("created_by") or {}).get("subject") == member["id"]:
                record["created_by"] = {"role": "member", "subject": GONE, "key_id": None}
            store.put_record(record, conn)
            for entry in store.history(record["id"]):
                if (entry.get("by") or {}).get("subject") == member["id"]:
                    entry = {**entry, "by": {"role": "member", "subject": GONE, "key_id": None}}
                    if "note" in entry:
                        entry["note"] = "(removed)"
                    store.replace_history(record["id"], entry, conn)
            for o in store.outcomes(record["id"]):
                if int(o["side"]) in sides:
                    store.put_outcome({**o, "party": pseudonym, "comment": "",
                                       "by": {"role": "member", "subject": GONE, "key_id": None}}, conn)
            for f in store.follow_ups(record["id"]):
                if int(f["side"]) in sides:
                    answer = {**f["answer"], "note": None} if f.get("answer") else None
                    status = f["status"] if f["status"] == "answered" else "cancelled"
                    store.put_follow_up({**f, "party": pseudonym, "answer": answer, "status": status}, conn)
        count += 1
    store.forget_examples(member["id"])
    return count
