"""Errors of the interchange files: every message names the path of the faulty field."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from service.errors import InvalidRequestError


def flatten(messages: Any, path: str = "") -> list[str]:
    """Marshmallow's nested error dict -> ["participants[12].availability[1]: msg", ...]."""
    out: list[str] = []
    if isinstance(messages, Mapping):
        for key, sub in messages.items():
            if isinstance(key, int):
                sub_path = f"{path}[{key}]"
            elif key == "_schema":
                sub_path = path
            else:
                sub_path = f"{path}.{key}" if path else str(key)
            out.extend(flatten(sub, sub_path))
    elif isinstance(messages, list | tuple):
        for m in messages:
            out.extend(flatten(m, path))
    else:
        out.append(f"{path or '<root>'}: {messages}")
    return out


def fail(kind: str, errors: list[str]) -> InvalidRequestError:
    shown = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
    return InvalidRequestError(f"invalid {kind}: {shown}", errors=errors)


def parse(data: Mapping[str, Any] | str | bytes, kind: str) -> Mapping[str, Any]:
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise fail(kind, [f"<root>: not JSON ({exc})"]) from exc
    if not isinstance(data, Mapping):
        raise fail(kind, ["<root>: expected a JSON object"])
    return data


def load(schema: Schema, data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise fail(kind, flatten(exc.messages)) from exc
