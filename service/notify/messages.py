"""Render a notification in the recipient's language from Jinja templates and the Babel catalogues
shared with the web app: `<kind>.txt` holds the subject and body blocks (the plain-text part), `<kind>.html`
the HTML part."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("en", "fr")


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel -k N_); translated where it is shown."""
    return message


ROLE_NAMES = (N_("admin"), N_("organiser"), N_("cluster_manager"), N_("member"))


def language_of(wanted: str | None) -> str:
    code = (wanted or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=len(LANGUAGES))
def _env(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], keep_trailing_newline=True)
    env.install_gettext_translations(Translations.load(str(TRANSLATIONS), [language]), newstyle=True)
    return env


def render(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, html) of one message."""
    env = _env(language_of(language))
    text_tpl = env.get_template(f"{kind}.txt")
    subject = "".join(text_tpl.blocks["subject"](text_tpl.new_context(context))).strip()
    text = "".join(text_tpl.blocks["body"](text_tpl.new_context(context))).strip() + "\n"
    html = env.get_template(f"{kind}.html").render(context)
    return subject, text, html
