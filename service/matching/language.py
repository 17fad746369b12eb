"""The model scores same-language pairs higher than the same meaning across languages. Each text
gets a language (declared, or read from the country's languages and the model), and a need→offer
pair gives back what its two languages add (config `language_offsets` per language pair, measured
on ESCO by tests/bench/bench_language_pull.py; `language_pull` for unmeasured same-language pairs)."""
from __future__ import annotations

from typing import Any

import numpy as np

from service.domain_config import LANGS
from service.links import LinkVocabulary


class Languages:
    def __init__(self, vocabulary: LinkVocabulary, countries: dict[str, dict[str, Any]]) -> None:
        self.vocabulary = vocabulary
        self.countries = countries

    def of_vectors(self, vectors: np.ndarray, allowed: list[str] | None = None) -> list[str | None]:
        """The language each vector leans to among the template languages (`allowed` narrows)."""
        if not len(vectors):
            return []
        choices = [LANGS.index(lang) for lang in (allowed or LANGS) if lang in LANGS]
        if not choices:
            return [None] * len(vectors)
        profile = self.vocabulary.language_profile(vectors)[:, choices]
        return [LANGS[choices[int(i)]] for i in profile.argmax(axis=1)]

    def of_profile(self, doc: dict[str, Any], vector: np.ndarray | None,
                   memo: dict[Any, Any] | None = None) -> str | None:
        """A profile's text language: declared, else its country's only language, else the one of
        the country's languages the model reads in its profile text. `memo`: where to keep what the
        model read, for a vector that does not change (matching.candidate_texts)."""
        if doc.get("language"):
            return doc["language"]
        spoken = list((self.countries.get(doc.get("country") or "") or {}).get("languages") or [])
        if len(spoken) == 1:
            return spoken[0]
        if vector is None:
            return spoken[0] if spoken else None
        candidates = [lang for lang in spoken if lang in LANGS] or None
        if memo is None:
            return self.of_vectors(vector[None, :], candidates)[0]
        key = ("language", self.vocabulary, tuple(candidates or ()))
        if key not in memo:
            memo[key] = self.of_vectors(vector[None, :], candidates)[0]
        return memo[key]


def pair_offset(offsets: dict[str, float], pull: float, need_lang: str | None, offer_lang: str | None) -> float:
    """Raw cosine the model adds to a need→offer pair for its two languages alone."""
    if not need_lang or not offer_lang:
        return 0.0
    found = offsets.get(f"{need_lang}>{offer_lang}")
    if found is not None:
        return found
    return pull if need_lang == offer_lang else 0.0
