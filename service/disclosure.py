"""What error bodies and the health report may say: never an internal path or URL."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"),]+")
# An absolute filesystem path of two segments or more (API routes in 4xx messages are kept).
PATH = re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)+[\w.@+-]*")
HIDDEN = "(internal)"


def scrub(text: str, secrets: Iterable[str] = (), server_error: bool = True) -> str:
    """`text` without the given internal strings and, for server errors, without any URL or
    absolute path (those come from backends: sockets, data files, cluster addresses)."""
    for secret in sorted((s for s in secrets if s and len(s) > 3), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    if server_error:
        text = PATH.sub(HIDDEN, URL.sub(HIDDEN, text))
    return text


def scrub_errors(errors: Any, secrets: Iterable[str] = (), server_error: bool = True) -> Any:
    if isinstance(errors, str):
        return scrub(errors, secrets, server_error)
    if isinstance(errors, dict):
        return {k: scrub_errors(v, secrets, server_error) for k, v in errors.items()}
    if isinstance(errors, list):
        return [scrub_errors(v, secrets, server_error) for v in errors]
    return errors
