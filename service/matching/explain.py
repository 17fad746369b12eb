"""One readable sentence per result, from its strongest reasons."""
from __future__ import annotations

from typing import Any

from service.matching.phrases import N_, Joined, Phrase
from service.matching.weights import PENALTY

CAVEATS = frozenset({"scope", "capacity"})  # their reasons explain a deficit, never a strength
EVIDENCE = ("complementarity", "gap_filling")  # what the partner brings; it leads the sentence


def sentence(name: str, country: str | None, table: dict[str, dict[str, Any]]) -> str:
    evidence = sorted(((k, v) for k, v in table.items() if k in EVIDENCE and v["reason"] and v["score"] > 0),
                      key=lambda kv: -kv[1]["score"])
    others = sorted(
        ((k, v) for k, v in table.items() if k != PENALTY and k not in CAVEATS and k not in EVIDENCE
         and v["reason"] and v["contribution"] > 0 and v["score"] >= 0.5),
        key=lambda kv: -kv[1]["contribution"],
    )
    parts = [v["reason"] for _, v in (evidence + others)[:3]]
    head = f"{name} ({country})" if country else name
    why = Joined("; ", parts) if parts else Phrase(N_("a weak match on every criterion"))
    if table.get(PENALTY, {}).get("reason"):
        return Phrase(N_("%(head)s: %(why)s — but %(penalty)s."), head=head, why=why, penalty=table[PENALTY]["reason"])
    return Phrase(N_("%(head)s: %(why)s."), head=head, why=why)
