"""--force-in for the open-world evaluation: turn a record today's closed-vocabulary ingest
would reject into one it accepts, by throwing away what it cannot understand. This measures
the matcher alone ("when the profiles are forced in", issue #11); it is not how a product
should treat data: the value-chain gaps written in free text are lost on the way."""
from __future__ import annotations

from typing import Any


def force_in(record: dict[str, Any], kind: str, domain: Any) -> dict[str, Any]:
    from service.normalise import country_code
    from service.profile_schemas import profile_schema
    from service.vocab import OfferType, RequestType

    allowed = set(profile_schema(kind, domain).fields)
    out = {k: v for k, v in record.items() if k in allowed}
    sector = domain.resolve_sector(str(out.get("sector", "")))
    if sector is None:  # any template will do: only its links are checked against it
        sector = next(iter(domain.sectors))
        out["sector"] = sector
    for name in ("target_markets", "markets", "partner_countries"):
        if name in out:
            out[name] = [c for c in out[name] if country_code(c)]
    coop = {t.value for t in RequestType}
    out["cooperation_types"] = [t for t in out.get("cooperation_types") or [] if t in coop]
    for name, types in (("offers", {t.value for t in OfferType}), ("requests", coop)):
        items = []
        for item in out.get(name) or []:
            if item.get("type") not in types:
                continue
            link = item.get("link")
            items.append({"type": item["type"], "text": item["text"],
                          "link": link if link and domain.resolve_link(sector, link) else None})
        out[name] = items
    if "value_chain" in out:
        out["value_chain"] = [v for v in out["value_chain"] if domain.resolve_link(sector, v.get("link", ""))]
    if "value_chain_links" in out:
        out["value_chain_links"] = [v for v in out["value_chain_links"] if domain.resolve_link(sector, v)]
    return out
