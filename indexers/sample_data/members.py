"""Members of one generated cluster: links consistent with its chain, needs aimed at its gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.vocab import RequestType

if __package__:
    from .texts import dns_label
else:  # imported by generate.py run as a script
    from texts import dns_label  # type: ignore[no-redef]

if TYPE_CHECKING:
    from .generate import Generator

ORG_TYPES = {"sme": 78, "large_company": 8, "research_organisation": 8, "school": 6}
OFFER_TYPES = {
    "sme": {
        "service": 30,
        "manufacturing": 25,
        "product": 20,
        "technology": 12,
        "distribution": 5,
        "licence": 3,
        "training": 5,
    },
    "large_company": {
        "manufacturing": 30,
        "product": 30,
        "distribution": 20,
        "technology": 15,
        "licence": 5,
    },
    "research_organisation": {"research": 50, "technology": 30, "licence": 15, "training": 5},
    "school": {"training": 60, "research": 40},
}
# Requests aimed at another link (a gap of the cluster) vs at the member's own link (market).
GAP_REQUESTS = {
    "sme": {
        "supplier": 35,
        "technology_partner": 25,
        "research_partner": 15,
        "licence": 10,
        "consortium_partner": 15,
    },
    "large_company": {
        "supplier": 45,
        "technology_partner": 25,
        "licence": 15,
        "consortium_partner": 15,
    },
    "research_organisation": {
        "research_partner": 50,
        "consortium_partner": 30,
        "technology_partner": 20,
    },
    "school": {"research_partner": 50, "consortium_partner": 50},
}
OWN_REQUESTS = {"client": 40, "distributor": 35, "investor": 10, "consortium_partner": 15}
SPECIAL_NAMES = {  # large groups, research organisations, schools
    "fr": (
        "Groupe {brand} – site de {city}",
        "Centre technique {brand} ({city})",
        "École d'ingénieurs {brand} {city}",
    ),
    "de": ("{brand} AG – Werk {city}", "Institut {brand} {city}", "{brand} Hochschule {city}"),
    "es": (
        "Grupo {brand} – planta de {city}",
        "Centro Tecnológico {brand} ({city})",
        "Escuela Técnica {brand} de {city}",
    ),
    "it": (
        "Gruppo {brand} – stabilimento di {city}",
        "Centro Ricerche {brand} {city}",
        "ITS Academy {brand} {city}",
    ),
    "en": (
        "{brand} Group – {city} plant",
        "{brand} Research Centre {city}",
        "{brand} Technical College {city}",
    ),
}
SERVICE_SECTORS = {"digital", "medtech"}
COOPERATIONS = [22, 24, 18, 12, 9, 6, 4, 3, 2]  # weights of 0..8 active cooperations (skewed)


class MemberFactory:
    def __init__(self, gen: Generator, pinned: dict[str, str] | None = None) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.book = gen.book
        self.used_names: set[str] = set()
        self.pinned = pinned or {}  # member id -> link it must occupy (showcases)

    def for_cluster(self, cluster: dict[str, Any]) -> list[dict[str, Any]]:
        rng = self.rng
        status = {e["link"]: e["status"] for e in cluster["value_chain"]}
        strong = [k for k, s in status.items() if s == "strong"]
        weak = [k for k, s in status.items() if s == "weak"]
        # Every strong link gets at least two members; the rest are drawn, strong links favoured.
        slots = [k for k in strong for _ in range(2)]
        count = max(len(slots) + 2, rng.randint(8, 14))
        weights = {**{k: 3 for k in strong}, **{k: 1 for k in weak}}
        while len(slots) < count:
            slots.append(rng.choices(list(weights), weights=list(weights.values()))[0])
        rng.shuffle(slots)
        pinned = self.pinned.get(f"{cluster['id']}-0001")
        if pinned:  # the showcase member takes a slot on its own link, keeping strong links staffed
            j = slots.index(pinned)
            slots[0], slots[j] = slots[j], slots[0]
        return [self.member(cluster, i + 1, link, status) for i, link in enumerate(slots)]

    def member(
        self, cluster: dict[str, Any], index: int, link: str, status: dict[str, str]
    ) -> dict[str, Any]:
        rng, gen, book = self.rng, self.gen, self.book
        cc, sector, lang = cluster["country"], cluster["sector"], cluster["language"]
        cfg = gen.countries[cc]
        region = gen.region_of(cc, cluster["region"])
        city = rng.choice(region["cities"])
        org = rng.choices(list(ORG_TYPES), weights=list(ORG_TYPES.values()))[0]
        size = {
            "sme": lambda: rng.choices(["micro", "small", "medium"], [40, 35, 25])[0],
            "large_company": lambda: "large",
            "research_organisation": lambda: rng.choices(["medium", "large"], [60, 40])[0],
            "school": lambda: rng.choices(["medium", "large"], [70, 30])[0],
        }[org]()
        keys = list(status)
        links = [link]
        neighbours = [
            keys[j]
            for j in (keys.index(link) - 1, keys.index(link) + 1)
            if 0 <= j < len(keys) and status[keys[j]] in ("strong", "weak")
        ]
        if neighbours and rng.random() < 0.25:
            links.append(rng.choice(neighbours))
        for _ in range(20):  # names are fake but should not repeat
            name, brand, domain = self.name(cc, lang, sector, org, city)
            if name not in self.used_names:
                break
        self.used_names.add(name)
        markets = [
            cc,
            *gen.other_markets(cc, rng.choices([0, 1, 2, 3, 4], [20, 30, 25, 15, 10])[0]),
        ]
        target = [m for m in gen.other_markets(cc, 6) if m not in markets][: rng.randint(1, 3)]
        certs = self.certifications(sector, links, org, size)
        cert = next(
            (c for c in certs if c not in ("ISO 9001", "ISO 14001")), certs[0] if certs else None
        )
        offers = self.offers(lang, sector, links, org, target, cert)
        requests = self.requests(lang, sector, links, org, status, target, cert)
        accepted = {r["type"] for r in requests} | set(
            rng.sample(list(OWN_REQUESTS) + list(GAP_REQUESTS["sme"]), 2)
        )
        orgkey = size if org == "sme" else org
        nace = list(dict.fromkeys(n for k in links for n in gen.link_nace(sector, k)))
        if org == "research_organisation":
            nace = ["72.19", *nace[:1]]
        elif org == "school":
            nace = ["85.42", *nace[:1]]
        first, last = gen.person(cc)
        visibility = {"contact": "private"}
        roll = rng.random()
        if roll < 0.05:
            visibility["requests"] = "private"
        elif roll < 0.17:
            visibility["requests"] = "members"
        if rng.random() < 0.1:
            visibility["active_cooperations"] = "members"
        extra = [lg for lg in cfg["extra_languages"] if rng.random() < 0.25]
        return {
            "id": f"{cluster['id']}-{index:04d}",
            "name": name,
            "org_type": org,
            "clusters": [cluster["id"]],
            "country": cc,
            "region": region["name"],
            "city": city,
            "nace": nace,
            "size_band": size,
            "sector": sector,
            "value_chain_links": links,
            "description": book.member_description(
                rng,
                lang,
                sector,
                links[0],
                name=brand,
                orgkey=orgkey,
                city=city,
                region=region["name"],
                certs=certs,
                target=target[0] if target else None,
            ),
            "competences": book.competences(rng, lang, sector, links),
            "offers": offers,
            "requests": requests,
            "markets": markets,
            "target_markets": target,
            "certifications": certs,
            "languages": list(dict.fromkeys([*region.get("languages", cfg["languages"]), *extra])),
            "active_cooperations": rng.choices(range(9), COOPERATIONS)[0],
            "cooperation_types": [
                t
                for t in (r.value for r in RequestType)
                if t in accepted
            ],
            "contact": {
                "name": f"{first} {last}",
                "email": f"{dns_label(first)}.{dns_label(last)}@{dns_label(domain)}.example.org",
                "phone": gen.phone(cc),
            },
            "visibility": visibility,
            "language": lang,
        }

    def name(self, cc: str, lang: str, sector: str, org: str, city: str) -> tuple[str, str, str]:
        """(display name, name in texts, e-mail domain label): fake, from stems and surnames."""
        rng, cfg = self.rng, self.gen.countries[cc]
        brand = rng.choice(self.gen.lex["sectors"][sector]["stems"]) + rng.choice(
            self.gen.lex["tails"]
        )
        if org != "sme":
            large, research, school = SPECIAL_NAMES[lang]
            pattern = {"large_company": large, "research_organisation": research, "school": school}[
                org
            ]
            full = pattern.format(brand=brand, city=city)
            return full, full.split(" – ")[0], brand
        patterns = cfg["name_patterns"]
        if sector in SERVICE_SECTORS:  # no "workshops" for software or medtech firms
            patterns = [p for p in patterns if "{stem}" in p]
        last, last2 = rng.sample(cfg["last"], 2)
        legal = rng.choice(cfg["legal"])
        full = rng.choice(patterns).format(
            last=last, last2=last2, stem=brand, tail="", legal=legal, city=city
        )
        short = full.removesuffix(" " + legal).strip()
        return full, short, short

    def certifications(self, sector: str, links: list[str], org: str, size: str) -> list[str]:
        rng, meta = self.rng, self.gen.lex["sectors"][sector]
        if org in ("research_organisation", "school"):
            return ["ISO 9001"] if rng.random() < 0.4 else []
        if size == "micro" and rng.random() < 0.35:
            return []
        certs = rng.sample(
            meta["certifications"], rng.randint(1, min(3, len(meta["certifications"])))
        )
        for link in links:
            extra = meta.get("link_certifications", {}).get(link, [])
            if extra and rng.random() < 0.6:
                certs.append(rng.choice(extra))
        return list(dict.fromkeys(certs))

    def offers(
        self,
        lang: str,
        sector: str,
        links: list[str],
        org: str,
        target: list[str],
        cert: str | None,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        for _ in range(rng.choices([1, 2, 3], [40, 45, 15])[0]):
            otype = rng.choices(list(OFFER_TYPES[org]), weights=list(OFFER_TYPES[org].values()))[0]
            if otype == "manufacturing" and sector == "digital":  # software is not manufactured
                otype = "service"
            link = rng.choice(links)
            where = rng.choice(target) if target else None
            text = self.book.offer(rng, lang, otype, sector, link, where, cert)
            if all(o["text"] != text for o in out):
                out.append(
                    {"type": otype, "text": text, "link": link if rng.random() > 0.03 else None}
                )
        return out

    def requests(
        self,
        lang: str,
        sector: str,
        links: list[str],
        org: str,
        status: dict[str, str],
        target: list[str],
        cert: str | None,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        gaps = {
            k: (3 if s == "missing" else 1)
            for k, s in status.items()
            if s in ("missing", "weak") and k not in links
        }
        n = {
            "sme": rng.choices([1, 2, 3], [35, 45, 20])[0],
            "large_company": rng.randint(1, 2),
            "research_organisation": rng.randint(1, 2),
            "school": 1,
        }[org]
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for _ in range(n):
            if gaps and (rng.random() < 0.7 or org in ("research_organisation", "school")):
                link = rng.choices(list(gaps), weights=list(gaps.values()))[0]
                table = GAP_REQUESTS[org]
            else:
                link, table = rng.choice(links), OWN_REQUESTS
            rtype = rng.choices(list(table), weights=list(table.values()))[0]
            if (rtype, link) in seen:
                continue
            seen.add((rtype, link))
            where = rng.choice(target) if target else None
            text = self.book.request(rng, lang, rtype, sector, link, where, cert)
            out.append({"type": rtype, "text": text, "link": link if rng.random() > 0.03 else None})
        return out
