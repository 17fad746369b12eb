"""A free-text search often says who is asking before what is sought ("We sell e-bikes online
in the UK and need …", "Gastronomia a Torino: cerchiamo …"). Only what is sought is the need;
who is asking describes the seeker's own offer, which makes look-alikes competitors, not answers."""
from __future__ import annotations

import re

# Words that open what is sought, in en/fr/de/es/it.
_NEED_MARKERS = re.compile(
    r"\b(?:need|needs|needed|looking for|look for|seek|seeking|searching for|search for|require|requires|"
    r"want|wants|cherche|cherchons|cherchent|recherche|recherchons|avons besoin|a besoin|souhaitons|"
    r"suche|suchen|sucht|ben[oö]tige|ben[oö]tigen|brauche|brauchen|busco|buscamos|buscan|necesito|"
    r"necesitamos|cerco|cerchiamo|cercano|abbiamo bisogno|necessitiamo)\b",
    re.IGNORECASE)
_TRAILING = re.compile(r"[\s,;:.\-–—]*(?:\b(?:and|et|und|y|e|i|je|j'|nous|we|wir|ich|and we|and i|i'm|i am)\b"
                       r"[\s,;:]*)*$", re.IGNORECASE)
MIN_WORDS = 3


def split_need(text: str) -> tuple[str | None, str]:
    """(who is asking or None, what is sought). Unsplit when no marker follows a description of
    at least MIN_WORDS words, or when the marker closes the text ("… gesucht")."""
    found = _NEED_MARKERS.search(text)
    if not found:
        return None, text
    about = _TRAILING.sub("", text[: found.start()]).strip(" ,;:")
    need = text[found.start():].strip()
    if len(about.split()) < MIN_WORDS or len(need.split()) < MIN_WORDS:
        return None, text
    return about, need


# "We are looking for a partner in …": the request's own phrasing says nothing about what is sought,
# yet in a short need it weighs as much as the thing itself and draws offers phrased the same way
# ("Licence of a patented process", "we design our own solutions"). It is left out of the vector.
_ARTICLE = r"(?:un|une|des|de|d'|a|an|some|einen|eine|einem|nach|uno|una|unos|unas|un'|dei|degli|delle|gli|i)"
_QUALIFIER = (r"(?:european|foreign|reliable|européens?|étrangers?|fiables?|europäische[nrm]?|ausländische[nrm]?|"
              r"zuverlässige[nrm]?|europe[oa]s?|extranjer[oa]s?|fiables|europe[oi]|stranier[oi]|affidabil[ei])")
_WHO = (r"(?:partenaires?|partners?|socios?|fournisseurs?|suppliers?|zulieferer[ns]?|lieferanten|"
        r"proveedor(?:es)?|fornitor[ei]|entreprises?|compan(?:y|ies)|firms?|unternehmen|firmen|empresas?|"
        r"aziende?|prestataires?|sous-traitants?|subcontractors?|subcontratistas?|subfornitori|dienstleister)")
_ABOUT = (r"(?:en|for|in|im|für|fuer|para|per|pour|de|di|dans|on|with|avec|con|mit|nel|nella|"
          r"specialised in|specialized in|spécialisés? en|spezialisiert auf|especializad[oa]s? en|"
          r"specializzat[oie] in)")
_SUBJECT = r"(?:nous|we|we are|we're|wir|ich|je|i|i am|i'm|yo|io|noi)"
_REQUEST_HEAD = re.compile(
    rf"^\s*(?:{_SUBJECT}\s+)?{_NEED_MARKERS.pattern}\s+(?:{_ARTICLE}\s+)?(?:{_QUALIFIER}\s+)?"
    rf"{_WHO}\s+(?:{_QUALIFIER}\s+)?{_ABOUT}\s+",
    re.IGNORECASE)


def core_need(need: str) -> str:
    """What is sought without the request's phrasing: "nous cherchons un partenaire en traitement
    de surface" -> "traitement de surface". Unchanged when too little would be left."""
    found = _REQUEST_HEAD.match(need)
    rest = need[found.end():].strip(" .,;:") if found else need
    return rest if len(rest) >= 4 else need


# A request that seeks licensees sells a licence (the type "licence" says only that a licence is
# involved, not which way it goes).
_LICENSING_OUT = re.compile(
    r"\b(?:licensees?|licen[cs]e (?:out )?our|to license|licenci[ée]s|conc[ée]der (?:une|des|en) licences?|"
    r"lizenznehmer|auslizenz|licenciatari[oa]s?|licenciar nuestr|licenziatari|concedere in licenza)",
    re.IGNORECASE)


def sells(request_type: str | None, text: str, reverse_types: set[str]) -> bool:
    """Does this request look for someone to sell to (clients, distributors, licensees)?"""
    if request_type in reverse_types:
        return True
    return request_type in (None, "licence") and bool(_LICENSING_OUT.search(text or ""))
