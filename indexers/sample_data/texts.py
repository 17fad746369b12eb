"""Phrase rendering for the sample-data generator: offers, requests, descriptions per language."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

# Letters that NFKD does not reduce to ASCII.
_NO_DECOMPOSITION = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe"})


def slug(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: stable ids and e-mail domains."""
    plain = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    return re.sub(r"[^a-z0-9]+", "-", plain.encode("ascii", "ignore").decode().lower()).strip("-")


def dns_label(text: str) -> str:
    """A slug short enough to be one DNS label (at most 63 characters; we keep 40)."""
    return slug(text)[:40].strip("-")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class Phrasebook:
    """Builds texts from per-link phrases and per-language templates (lexicon*.yaml)."""

    def __init__(self, lexicon: dict[str, Any], links: dict[str, Any]) -> None:
        self.lex = lexicon
        self.links = links

    def tpl(self, lang: str) -> dict[str, Any]:
        return self.lex["templates"][lang]

    def where(self, lang: str, country: str) -> str:
        return self.lex["where"][lang].get(country, self.lex["where"][lang]["FR"])

    def link_phrase(self, rng: random.Random, sector: str, link: str, lang: str) -> tuple[str, str]:
        """(activity, object) for a link; the object carries its linking word."""
        acts, objs = self.links[sector]["links"][link][lang].split("||")
        act = rng.choice([a.strip() for a in acts.split("|")])
        obj = rng.choice([o.strip() for o in objs.split("|")])
        return act, obj

    def activities(self, sector: str, link: str, lang: str) -> list[str]:
        acts = self.links[sector]["links"][link][lang].split("||")[0]
        return [a.strip() for a in acts.split("|")]

    def customer(self, rng: random.Random, sector: str, lang: str) -> str:
        return rng.choice(self.links[sector]["customers"][lang])

    def _fill(
        self,
        rng: random.Random,
        template: str,
        lang: str,
        sector: str,
        link: str,
        where: str | None,
        cert: str | None,
        **extra: str,
    ) -> str:
        act, obj = self.link_phrase(rng, sector, link, lang)
        qual = rng.choice(self.tpl(lang)["qualifiers"])
        if "{cert}" in qual and not cert:
            qual = self.tpl(lang)["qualifiers"][0]
        values = {
            "act": act,
            "Act": _cap(act),
            "obj": obj,
            "cust": self.customer(rng, sector, lang),
            "qual": qual.replace("{cert}", cert or ""),
            "where": self.where(lang, where or "FR"),
            **extra,
        }
        return _cap(template.format(**values))

    def offer(
        self,
        rng: random.Random,
        lang: str,
        otype: str,
        sector: str,
        link: str,
        where: str | None = None,
        cert: str | None = None,
    ) -> str:
        template = rng.choice(self.tpl(lang)["offer"][otype])
        return self._fill(rng, template, lang, sector, link, where, cert)

    def request(
        self,
        rng: random.Random,
        lang: str,
        rtype: str,
        sector: str,
        link: str,
        where: str | None = None,
        cert: str | None = None,
    ) -> str:
        template = rng.choice(self.tpl(lang)["request"][rtype])
        return self._fill(rng, template, lang, sector, link, where, cert)

    def member_description(
        self,
        rng: random.Random,
        lang: str,
        sector: str,
        link: str,
        *,
        name: str,
        orgkey: str,
        city: str,
        region: str,
        certs: list[str],
        target: str | None,
    ) -> str:
        t = self.tpl(lang)
        text = self._fill(
            rng,
            t["member_description"],
            lang,
            sector,
            link,
            None,
            None,
            name=name,
            orgnoun=t["orgnoun"][orgkey],
            city=city,
            region=region,
        )
        if certs:
            text += " " + t["certs_sentence"].format(certs=", ".join(certs))
        if target:
            text += " " + t["target_sentence"].format(where=self.where(lang, target))
        return text

    def cluster_description(
        self,
        lang: str,
        *,
        name: str,
        kind: str,
        sector_label: str,
        region: str,
        total: int,
        sme_share: int,
        strong: list[str],
        weak: list[str],
        missing: list[str],
    ) -> str:
        t = self.tpl(lang)
        parts = [
            t["cluster_description"].format(
                name=name,
                kindnoun=t["kinds"][kind],
                sector=sector_label,
                region=region,
                total=total,
                sme_share=sme_share,
            )
        ]
        for key, items in (("strengths", strong), ("weak", weak), ("missing", missing)):
            if items:
                parts.append(t[key].format(items=", ".join(items)))
        return " ".join(parts)

    def cluster_text(
        self,
        rng: random.Random,
        lang: str,
        kind: str,
        sector: str,
        link: str,
        status: str | None = None,
    ) -> str:
        """kind: cluster_offer | cluster_training | cluster_request (status: missing|weak)."""
        template = rng.choice(self.tpl(lang)[kind])
        status_word = self.tpl(lang)["status_words"].get(status or "", "")
        return self._fill(rng, template, lang, sector, link, None, None, status=status_word)

    def competences(
        self, rng: random.Random, lang: str, sector: str, links: list[str]
    ) -> list[str]:
        found: list[str] = []
        for link in links:
            found.extend(_cap(a) for a in self.activities(sector, link, lang))
        found.append(_cap(rng.choice(self.tpl(lang)["generic_competences"])))
        return list(dict.fromkeys(found))[:5]
