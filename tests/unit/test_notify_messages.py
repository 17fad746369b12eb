"""Notification texts in the recipient's language, from the Babel catalogues."""
from __future__ import annotations

from service.notify.messages import language_of, render

CONTEXT = {"event": {"id": "e", "title": "Fira B2B"}, "me": "Oriol", "other": "Müller & Söhne <GmbH>",
           "other_org": "", "other_country": "DE", "note": "Wir eloxieren <b>Aluminium</b>",
           "expires_at": "2027-03-01T12:00:00Z", "url": "https://m.example/app/signin/t"}


def test_french_and_english_with_a_plain_text_part() -> None:
    subject, text, html = render("request_received", "fr-CA", CONTEXT)
    assert subject == "Müller & Söhne <GmbH> souhaite vous rencontrer à Fira B2B"
    assert text.startswith("Bonjour Oriol,") and "Wir eloxieren <b>Aluminium</b>" in text  # plain stays plain
    assert "&lt;b&gt;Aluminium&lt;/b&gt;" in html and "<b>Aluminium" not in html  # HTML escapes
    subject_en, _, _ = render("request_received", "en", CONTEXT)
    assert subject_en == "Müller & Söhne <GmbH> asks to meet you at Fira B2B"


def test_unknown_languages_fall_back_to_english() -> None:
    assert language_of("de_DE") == "en" and language_of(None) == "en" and language_of("FR") == "fr"
    assert render("request_declined", "it", CONTEXT)[0] == "Müller & Söhne <GmbH> declined to meet you at Fira B2B"
