"""Reasons read in English through the API and in the reader's language on pages and agendas."""
from __future__ import annotations

import json
import pickle

from babel.support import Translations

from service.domain_config import load_domain
from service.matching import criteria
from service.matching.explain import sentence
from service.matching.phrases import Joined, Named, Phrase, localize
from service.notify.messages import TRANSLATIONS
from service.settings import REPO_CONFIG_DIR
from service.vocab import org_type_name

FR = Translations.load(str(TRANSLATIONS), ["fr"]).gettext


def _pair(direction: str = "forward", answers: bool = True) -> criteria.Pair:
    return criteria.Pair("traitement de surface sans chrome", "Anodisation und Lackierung", 0.9, direction, 0,
                         answers)


def test_a_reason_is_its_english_text_wherever_a_string_is_expected():
    reason = criteria.pair_reason(_pair())
    assert reason == "their offer “Anodisation und Lackierung” answers your need “traitement de surface sans chrome”"
    assert json.loads(json.dumps({"r": reason})) == {"r": str(reason)}


def test_the_same_reason_in_french_keeps_the_quoted_texts_as_written():
    assert localize(criteria.pair_reason(_pair("backward", False)), FR) == (
        "votre offre « Anodisation und Lackierung » se rapproche de leur besoin « traitement de surface sans chrome »")


def test_a_whole_sentence_is_translated_nested_parts_included():
    table = {
        "complementarity": {"score": 0.9, "contribution": 0.4, "reason": criteria.pair_reason(_pair())},
        "gap_filling": {"score": 0.8, "contribution": 0.3, "reason": criteria.gap_filling(
            {"surface": ("missing", True)}, {"surface"}, {"missing": 1.0}, label=lambda k: "Surface").reason},
        "cross_border": {"score": 0.7, "contribution": 0.1, "reason": criteria.cross_border(
            "FR", "DE", {"fr"}, {"de", "en"}, {"FR": {"at": [46.6, 2.4]}, "DE": {"at": [51.1, 10.4]}}, {}).reason},
    }
    text = sentence("Oberflächen GmbH", "DE", table)
    assert text.startswith("Oberflächen GmbH (DE): their offer")
    assert "fills Surface (missing, strategic)" in text and "no common language" in text
    french = localize(text, FR)
    assert french.startswith("Oberflächen GmbH (DE) : leur offre « Anodisation und Lackierung » répond")
    assert "comble Surface (manquant, stratégique)" in french and "sans langue commune" in french


def test_phrases_survive_a_pickle_as_caches_and_jobs_store_them():
    text = Phrase("%(head)s: %(why)s.", head="X", why=Joined("; ", [Phrase("similar maturity"), "plain"]))
    back = pickle.loads(pickle.dumps(text))
    assert back == text and isinstance(back, Phrase)
    assert localize(back, FR) == "X : maturité comparable; plain."


def test_a_broken_translation_falls_back_to_english_rather_than_failing():
    reason = Phrase("shared networks: %(networks)s", networks="EEN")
    assert localize(reason, lambda msgid: "réseaux : %(missing_name)s") == "shared networks: EEN"
    assert localize("plain text", FR) == "plain text" and localize(None, FR) == ""


def test_a_value_chain_link_is_named_in_the_readers_language_from_the_templates():
    domain = load_domain(REPO_CONFIG_DIR)
    link = domain.link_name(None, "surface_treatment")
    assert link == "Surface treatment" and json.loads(json.dumps([link])) == ["Surface treatment"]
    reason = criteria.gap_filling({"surface_treatment": ("missing", True)}, {"surface_treatment"}, {"missing": 1.0},
                                  label=lambda k: domain.link_name(None, k)).reason
    assert "fills Surface treatment (missing" in reason
    assert "comble Traitement de surface (manquant" in localize(reason, FR, "fr")
    assert localize(pickle.loads(pickle.dumps(reason)), FR, "fr") == localize(reason, FR, "fr")
    both = Joined(", ", [link, domain.link_name(None, "machining")])
    assert localize(both, FR, "de") == "Oberflächenbehandlung, Präzisionszerspanung"
    # A free link (no template) keeps its own words in every language.
    assert domain.link_name(None, "my_own_link") == "my own link" and localize("my own link", FR, "fr") == "my own link"
    assert localize(Named({"en": "Only English"}, "k"), FR, "it") == "Only English"


def test_known_organisation_types_are_translated_and_free_ones_kept_as_written():
    assert localize(org_type_name("sme"), FR) == "PME" and org_type_name("sme") == "SME"
    assert localize(org_type_name("research_organisation"), FR) == "organisme de recherche"
    assert org_type_name("Fondazione") == "Fondazione" and org_type_name(None) is None
