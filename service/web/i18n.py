"""French and English from the Babel catalogues, chosen from the session (the account's
language) or else the browser."""
from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext

from service.matching.phrases import localize
from service.notify.messages import LANGUAGES, TRANSLATIONS


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_i18n(app: Flask) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE="en", BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    # The matcher's reasons, in the reader's language: {{ match.sentence|localize }}
    app.add_template_filter(lambda value: localize(value, gettext, str(get_locale() or "en")), "localize")
