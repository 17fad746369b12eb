"""A free-text need is embedded without its request phrasing (service/matching/free_text.py
core_need): with the real model, "we are looking for a partner in X" then lands nearer offers of X
than offers written as partnership proposals in other trades (issue #11 point 8: the sample data's
"nous cherchons un partenaire en traitement de surface" ranked a textile licence first)."""
from __future__ import annotations

import numpy as np
import pytest

from service.matching.seeker import text_seeker

SURFACE = ["Tratamiento de superficies sin cromo de piezas mecanizadas de titanio y acero",
           "Servizi di trattamento superficiale senza cromo di componenti aeronautici in alluminio"]
PARTNERSHIP = ["Licencia de un proceso patentado de tejeduría técnica de refuerzos para composites.",
               "Progettiamo e vendiamo soluzioni proprie: smantellamento e riciclo di pannelli fotovoltaici."]


@pytest.mark.parametrize("text", ["nous cherchons un partenaire en traitement de surface",
                                  "we are looking for a partner in surface treatment"])
def test_the_thing_sought_decides_not_the_request_phrasing(embedder, text: str) -> None:
    seeker = text_seeker(embedder, text, "FR", None)
    assert seeker.needs[0]["text"] == text  # the reasons quote the whole need
    offers = np.asarray(embedder.encode_documents(SURFACE + PARTNERSHIP))
    sims = offers @ seeker.need_vectors[0]
    assert sims[: len(SURFACE)].min() > sims[len(SURFACE):].max()
    whole = np.asarray(embedder.encode_queries([text]))[0]
    raw = offers @ whole  # the full wording, for contrast: the partnership offers come closer

    def lead(s: np.ndarray) -> float:  # how far the best partnership offer beats the worst surface offer
        return float(s[len(SURFACE):].max() - s[: len(SURFACE)].min())

    assert lead(raw) > lead(sims)
