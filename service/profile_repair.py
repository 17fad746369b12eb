"""Open-world loading of a profile record: only a structurally unusable record is rejected (no id,
no name, nothing to match on). Any other invalid value is dropped with a warning naming its field,
and the rest of the record lands."""
from __future__ import annotations

import copy
from typing import Any

from marshmallow import Schema, ValidationError

from service.profile_schemas import flatten_errors

# Without these a record cannot be stored or shown: their errors reject it.
REQUIRED = frozenset({"id", "name", "_record", "_schema"})
# What a profile can be matched on; a record with none of them is unusable.
MATCHABLE = ("description", "offers", "requests", "value_chain", "value_chain_links", "competences",
             "themes", "technologies")
_DROPPED = object()
MAX_PASSES = 4


def load_profile(schema: Schema, data: Any) -> tuple[dict[str, Any] | None, list[dict[str, str]],
                                                       list[dict[str, str]]]:
    """(document or None, warnings, errors); each warning/error is {"field", "message"}."""
    if not isinstance(data, dict):
        return None, [], [{"field": "_record", "message": "not an object with named fields"}]
    data = copy.deepcopy(data)
    warnings: list[dict[str, str]] = []
    for _ in range(MAX_PASSES):
        try:
            doc = schema.load(data)
            break
        except ValidationError as exc:
            errors = flatten_errors(exc.messages)
            fatal = [e for e in errors if e["field"].split(".")[0] in REQUIRED]
            if fatal:
                return None, warnings, fatal
            for err in errors:
                _drop(data, err["field"].split("."))
                warnings.append({"field": err["field"], "message": f"{err['message']} (value ignored)"})
            _prune(data)
    else:
        return None, warnings, errors
    warnings.extend(doc.pop("_warnings", []))
    if not any(doc.get(name) for name in MATCHABLE):
        return None, warnings, [{"field": "_record", "message": "nothing to match on: no description, offers, "
                                 "requests, value chain or competences"}]
    return doc, warnings, []


def _drop(data: Any, path: list[str]) -> bool:
    """Mark the value at `path` (dict keys and list positions) for removal. Returns True when
    the value is absent (a required field is missing): then its container goes instead."""
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        if head not in data:
            return True
        if rest and isinstance(data[head], (dict, list)) and not _drop(data[head], rest):
            return False
        data[head] = _DROPPED
    elif isinstance(data, list) and head.isdigit() and int(head) < len(data):
        position = int(head)
        if rest and isinstance(data[position], (dict, list)) and not _drop(data[position], rest):
            return False
        data[position] = _DROPPED
    return False


def _prune(data: Any) -> Any:
    if isinstance(data, dict):
        for key in [k for k, v in data.items() if v is _DROPPED]:
            del data[key]
        for value in data.values():
            _prune(value)
    elif isinstance(data, list):
        data[:] = [v for v in data if v is not _DROPPED]
        for value in data:
            _prune(value)
    return data
