"""Deterministic generator of the illustrative sample clusters and members (fake names, contacts).

Run from the repository root:  python indexers/sample_data/generate.py [--seed N] [--out DIR]
It reads config/value_chains.yaml and lexicon*.yaml beside this file and writes clusters.jsonl
and members.jsonl. Only the standard library and PyYAML are used, so the output depends on the
seed and the input files alone.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

if __package__:
    from . import showcases
    from .members import MemberFactory
    from .texts import Phrasebook, dns_label, slug
else:  # run as a script: import the sibling modules directly
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository, for service.vocab
    import showcases  # type: ignore[no-redef]
    from members import MemberFactory  # type: ignore[no-redef]
    from texts import Phrasebook, dns_label, slug  # type: ignore[no-redef]

from service.vocab import RequestType  # noqa: E402 (after the sibling imports above)

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 20240611
REQUEST_TYPES = [t.value for t in RequestType]  # the order of the vocabulary
CLUSTER_NAMES = {
    "fr": {
        "competitiveness_cluster": "Pôle {sector} {region}",
        "cluster": "Cluster {sector} {region}",
        "grappe": "Grappe {sector} {city}",
        "spl": "SPL {sector} {city}",
        "other": "Association {sector} {region}",
        "competence_network": "Réseau {sector} {region}",
    },
    "de": {
        "cluster": "Cluster {sector} {region}",
        "competence_network": "Kompetenznetz {sector} {city}",
        "other": "Netzwerk {sector} {region}",
    },
    "es": {
        "cluster": "Clúster {sector} {region}",
        "competitiveness_cluster": "AEI {sector} {region}",
    },
    "it": {
        "industrial_district": "Distretto {sector} {region}",
        "cluster": "Cluster {sector} {region}",
        "other": "Rete {sector} {city}",
    },
    "en": {
        "cluster": "{region} {sector} Cluster",
        "competitiveness_cluster": "{region} {sector} Innovation Cluster",
        "other": "{city} {sector} Network",
        "competence_network": "{sector} Competence Network {region}",
    },
}


def pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


class Generator:
    def __init__(
        self, seed: int, chains: dict[str, Any], lexicon: dict[str, Any], links: dict[str, Any]
    ):
        self.rng = random.Random(seed)
        self.sectors = chains["sectors"]
        self.lex = lexicon
        self.book = Phrasebook(lexicon, links)
        self.countries = lexicon["countries"]
        self.used_ids: set[str] = set()
        self.used_names: set[str] = set()

    # ---- clusters -------------------------------------------------------------------------
    def plan(self) -> list[dict[str, Any]]:
        """(country, sector, region) slots: showcases first, then each country cycles sectors."""
        plans: list[dict[str, Any]] = [dict(spec) for spec in showcases.CLUSTERS]
        taken = {c: sum(1 for s in plans if s["country"] == c) for c in self.countries}
        for cc, cfg in self.countries.items():
            order = list(self.sectors)
            self.rng.shuffle(order)
            order = [s for s in order if self.regions_for(cc, s)]
            for i in range(cfg["clusters"] - taken[cc]):
                sector = order[i % len(order)]
                region = self.rng.choice(self.regions_for(cc, sector))
                plans.append({"country": cc, "sector": sector, "region": region["name"]})
        return plans

    def regions_for(self, cc: str, sector: str) -> list[dict[str, Any]]:
        """Regions where a cluster of `sector` may sit (ports for maritime, vineyards for wine)."""
        regions = self.countries[cc]["regions"]
        rule = self.lex["sector_regions"].get(sector)
        if not rule:
            return regions
        fitting = [r for r in regions if r["nuts"] in rule["nuts"]]
        return fitting or ([] if rule["strict"] else regions)

    def region_of(self, cc: str, name: str) -> dict[str, Any]:
        return next(r for r in self.countries[cc]["regions"] if r["name"] == name)

    def lang_of(self, cc: str, region: dict[str, Any]) -> str:
        return region.get("lang", self.countries[cc]["lang"])

    def cluster_name(
        self, lang: str, kind: str, sector: str, region: dict[str, Any]
    ) -> tuple[str, str]:
        label = self.sectors[sector]["labels"].get(lang, self.sectors[sector]["labels"]["en"])
        if lang == "en":  # English names title-case their words: "Technical Textiles Cluster"
            label = " ".join(
                w if w in ("and", "of") else w[:1].upper() + w[1:] for w in label.split()
            )
        pattern = CLUSTER_NAMES[lang].get(kind) or next(iter(CLUSTER_NAMES[lang].values()))
        places = [region["name"], *region["cities"]]
        for place in places:
            name = pattern.format(sector=label, region=place, city=place)
            if "{city}" in pattern and place == region["name"]:
                continue
            if name not in self.used_names:
                return name, kind
        return (
            pattern.format(sector=label, region=region["name"], city=region["cities"][0])
            + f" {len(self.used_names)}",
            kind,
        )

    def chain(self, sector: str, forced: dict[str, tuple[str, bool]]) -> list[dict[str, Any]]:
        rng = self.rng
        keys = [link["key"] for link in self.sectors[sector]["links"]]
        status = {k: pick(rng, {"strong": 45, "weak": 30, "missing": 25}) for k in keys}
        free = [k for k in keys if k not in forced]
        while sum(s == "strong" for s in status.values()) < 2:
            status[rng.choice(free)] = "strong"
        if rng.random() < 0.85 and "missing" not in status.values():
            candidates = [k for k in free if status[k] != "strong"] or free
            status[rng.choice(candidates)] = "missing"
        out = []
        for k in keys:
            st, strategic = forced.get(k, (status[k], None))
            if strategic is None:
                strategic = rng.random() < {"missing": 0.5, "weak": 0.3, "strong": 0.25}[st]
            out.append({"link": k, "status": st, "strategic": strategic})
        if sum(e["status"] == "strong" for e in out) < 2:
            raise ValueError(f"chain for {sector} has fewer than two strong links")
        return out

    def person(self, cc: str) -> tuple[str, str]:
        cfg = self.countries[cc]
        return self.rng.choice(cfg["first"]), self.rng.choice(cfg["last"])

    def phone(self, cc: str) -> str | None:
        if self.rng.random() < 0.1:
            return None
        r = self.rng
        digits = f"{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"
        return f"{self.countries[cc]['phone']} {digits}"

    def other_markets(self, cc: str, k: int) -> list[str]:
        pool = [c for c in [*self.countries, *self.lex["extra_markets"]] if c != cc]
        return self.rng.sample(pool, k)

    def make_cluster(self, plan: dict[str, Any]) -> dict[str, Any]:
        rng, cc, sector = self.rng, plan["country"], plan["sector"]
        cfg = self.countries[cc]
        region = self.region_of(cc, plan["region"])
        lang = self.lang_of(cc, region)
        kind = plan.get("kind") or rng.choice(cfg["kinds"])
        if "name" in plan:
            name = plan["name"]
        else:
            name, kind = self.cluster_name(lang, kind, sector, region)
        self.used_names.add(name)
        cid = plan.get("id") or f"{cc.lower()}-{slug(name)}"
        assert cid not in self.used_ids, cid
        self.used_ids.add(cid)
        chain = self.chain(sector, plan.get("chain", {}))
        total = int(30 + 520 * rng.random() ** 2)
        micro = round(total * rng.uniform(0.40, 0.55))
        small = round(total * rng.uniform(0.22, 0.30))
        large = max(1, round(total * rng.uniform(0.02, 0.06)))
        sizes = {
            "micro": micro,
            "small": small,
            "medium": total - micro - small - large,
            "large": large,
        }
        labels = {e["link"]: self.link_label(sector, e["link"], lang) for e in chain}
        by_status = {
            s: [e["link"] for e in chain if e["status"] == s] for s in ("strong", "weak", "missing")
        }
        meta = self.lex["sectors"][sector]
        first, last = self.person(cc)
        offers = [
            {
                "type": "service",
                "link": k,
                "text": self.book.cluster_text(rng, lang, "cluster_offer", sector, k),
            }
            for k in rng.sample(by_status["strong"], min(2, len(by_status["strong"])))
        ]
        if rng.random() < 0.4:
            k = rng.choice(by_status["strong"])
            offers.append(
                {
                    "type": "training",
                    "link": k,
                    "text": self.book.cluster_text(rng, lang, "cluster_training", sector, k),
                }
            )
        gaps = sorted(
            by_status["missing"],
            key=lambda k: not next(e["strategic"] for e in chain if e["link"] == k),
        )
        wanted = [(k, "missing") for k in gaps[:2]] or [(k, "weak") for k in by_status["weak"][:1]]
        requests = [
            {
                "type": rng.choice(["consortium_partner", "supplier", "technology_partner"]),
                "link": k,
                "text": self.book.cluster_text(rng, lang, "cluster_request", sector, k, st),
            }
            for k, st in wanted
        ]
        visibility = {"contact": "private"}
        if rng.random() < 0.2:
            visibility["members_by_size"] = "members"
        networks = [cfg["national_network"], *rng.sample(self.lex["networks"], rng.randint(1, 2))]
        if rng.random() < 0.5:
            networks.extend(meta["networks"])
        languages = list(dict.fromkeys([*region.get("languages", cfg["languages"]), "en"]))
        return {
            "id": cid,
            "name": name,
            "kind": kind,
            "country": cc,
            "region": region["name"],
            "nuts": region["nuts"],
            "sector": sector,
            "themes": rng.sample(meta["themes"], rng.randint(2, 3)),
            "technologies": rng.sample(meta["technologies"], rng.randint(2, 3)),
            "description": self.book.cluster_description(
                lang,
                name=name,
                kind=kind,
                sector_label=self.sectors[sector]["labels"][lang],
                region=region["name"],
                total=total,
                sme_share=round(100 * (total - large) / total),
                strong=[labels[k] for k in by_status["strong"]],
                weak=[labels[k] for k in by_status["weak"]],
                missing=[labels[k] for k in by_status["missing"]],
            ),
            "languages": languages,
            "target_markets": plan.get("target_markets")
            or self.other_markets(cc, rng.randint(2, 4)),
            "partner_countries": plan.get("partner_countries")
            or rng.sample([c for c in self.countries if c != cc], rng.randint(2, 4)),
            "value_chain": chain,
            "members_by_size": sizes,
            "governance": rng.choice(cfg["governance"]),
            "stage": pick(rng, {"emerging": 15, "growth": 35, "mature": 40, "declining": 10}),
            "cooperation_types": sorted(
                rng.sample(REQUEST_TYPES, rng.randint(3, 5)), key=REQUEST_TYPES.index
            ),
            "networks": list(dict.fromkeys(networks)),
            "offers": offers,
            "requests": requests,
            "contact": {
                "name": f"{first} {last}",
                "email": f"contact@{dns_label(cid[3:])}.example.org",
                "phone": self.phone(cc),
            },
            "visibility": visibility,
            "language": lang,
        }

    def link_label(self, sector: str, key: str, lang: str) -> str:
        link = next(lk for lk in self.sectors[sector]["links"] if lk["key"] == key)
        return link["labels"].get(lang, link["labels"]["en"])

    def link_nace(self, sector: str, key: str) -> list[str]:
        return next(lk for lk in self.sectors[sector]["links"] if lk["key"] == key)["nace"]

    # ---- run ------------------------------------------------------------------------------
    def run(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        clusters = [self.make_cluster(plan) for plan in self.plan()]
        factory = MemberFactory(self, showcases.pinned_links())
        members = [showcases.member_override(m) for c in clusters for m in factory.for_cluster(c)]
        return clusters, members


def load_inputs(config: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    def read(path: Path) -> dict[str, Any]:
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    return read(config), read(HERE / "lexicon.yaml"), read(HERE / "lexicon_links.yaml")


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def generate(seed: int, config: Path, out: Path) -> tuple[int, int]:
    """Write clusters.jsonl and members.jsonl into `out`; returns (clusters, members) counts."""
    clusters, members = Generator(seed, *load_inputs(config)).run()
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "clusters.jsonl", clusters)
    write_jsonl(out / "members.jsonl", members)
    return len(clusters), len(members)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--config", type=Path, default=HERE.parents[1] / "config" / "value_chains.yaml"
    )
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    n_clusters, n_members = generate(args.seed, args.config, args.out)
    print(f"wrote {n_clusters} clusters and {n_members} members to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
