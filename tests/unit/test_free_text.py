from __future__ import annotations

import pytest

from service.matching.free_text import core_need, split_need


@pytest.mark.parametrize(("text", "about", "need"), [
    ("We sell e-bikes online in the UK and need reverse logistics for batteries",
     "We sell e-bikes online in the UK", "need reverse logistics for batteries"),
    ("Gastronomia a Torino: cerchiamo miele di brughiera da apicoltori stranieri",
     "Gastronomia a Torino", "cerchiamo miele di brughiera da apicoltori stranieri"),
    ("Luthier à Lyon, je cherche de l'épicéa de résonance bien sec",
     "Luthier à Lyon", "cherche de l'épicéa de résonance bien sec"),
    ("Wir fertigen Druckbehälter und suchen Phased-Array-Ultraschallprüfung für Schweißnähte",
     "Wir fertigen Druckbehälter", "suchen Phased-Array-Ultraschallprüfung für Schweißnähte"),
    ("Fabricamos implantes dentales y necesitamos un laboratorio de ensayos",
     "Fabricamos implantes dentales", "necesitamos un laboratorio de ensayos"),
])
def test_who_asks_is_split_from_what_is_sought(text: str, about: str, need: str) -> None:
    assert split_need(text) == (about, need)


@pytest.mark.parametrize("text", [
    "bouchons en liège pour bouteilles de cognac",
    "Bio-Olivenblattextrakt in Kosmetikqualität für unsere neue Gesichtspflege gesucht",
    "We need a supplier of anodising",
])
def test_a_bare_need_stays_whole(text: str) -> None:
    assert split_need(text) == (None, text)


@pytest.mark.parametrize(("need", "core"), [
    ("nous cherchons un partenaire en traitement de surface", "traitement de surface"),
    ("We are looking for a partner in surface treatment", "surface treatment"),
    ("Wir suchen einen Zulieferer für Oberflächentechnik", "Oberflächentechnik"),
    ("buscamos socios europeos para tratamiento de superficies", "tratamiento de superficies"),
    ("cerchiamo un fornitore affidabile per trattamenti superficiali", "trattamenti superficiali"),
    ("nous cherchons des fournisseurs européens de bouchons en liège", "bouchons en liège"),
])
def test_the_request_phrasing_is_left_out_of_what_is_sought(need: str, core: str) -> None:
    assert core_need(need) == core


@pytest.mark.parametrize("need", [
    "bouchons en liège pour bouteilles de cognac",  # nothing but the thing sought
    "need a manufacturer of made-to-measure upholstered sofas",  # "manufacturer" says what kind of partner
    "cerchiamo miele di brughiera e di bosco da apicoltori stranieri",
    "looking for partners in it",  # too little would be left
])
def test_a_need_without_request_phrasing_is_kept(need: str) -> None:
    assert core_need(need) == need
