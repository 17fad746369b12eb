"""Reasons that read in English everywhere a string is expected (the JSON API, the CLI, logs) and
that a page, an agenda or an e-mail can say again in its reader's language.

A `Phrase` is a `str` (its English text) that also keeps its message id and parameters, so
`localize(phrase, gettext)` looks the message up in the Babel catalogue and fills it in, nested
phrases included. Texts quoted from profiles stay as their authors wrote them."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel -k N_); translated where it is shown."""
    return message


class Phrase(str):
    """English text of `template % params`, remembering both."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Phrase:
        text = template % {k: str(v) for k, v in params.items()} if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (caches, RQ jobs) keep the structure
        return (_phrase, (self.template, self.params))


class Joined(str):
    """Phrases joined by a separator that needs no translation ("; ", ", ")."""

    sep: str
    parts: tuple[Any, ...]

    def __new__(cls, sep: str, parts: Iterable[Any]) -> Joined:
        parts = tuple(parts)
        self = super().__new__(cls, sep.join(str(p) for p in parts))
        self.sep = sep
        self.parts = parts
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Joined, (self.sep, self.parts))


class Named(str):
    """A name from the domain configuration (a value-chain link), English as text, that knows
    its name in the configuration's other languages."""

    names: dict[str, str]

    def __new__(cls, names: dict[str, str], fallback: str) -> Named:
        self = super().__new__(cls, names.get("en") or fallback)
        self.names = names
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Named, (self.names, str(self)))


def _phrase(template: str, params: dict[str, Any]) -> Phrase:
    return Phrase(template, **params)


def localize(value: Any, gettext: Callable[[str], str], language: str | None = None) -> str:
    """`value` in the reader's language: phrases translated, configured names in `language`,
    anything else as it is."""
    if isinstance(value, Named):
        return value.names.get(language or "en") or str(value)
    if isinstance(value, Phrase):
        template = gettext(value.template)
        if not value.params:
            return template
        try:
            return template % {k: localize(v, gettext, language) for k, v in value.params.items()}
        except (KeyError, ValueError, TypeError):  # a broken translation must not break the page
            return str(value)
    if isinstance(value, Joined):
        return value.sep.join(localize(p, gettext, language) for p in value.parts)
    return "" if value is None else str(value)
