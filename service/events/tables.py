"""Table labels: what people read on a table (a number from 1, or a name such as a booth),
against the 0-based index the solver and the interchange format use."""
from __future__ import annotations

from typing import Any

from service.errors import InvalidRequestError


def table_labels(event: dict[str, Any]) -> list[str]:
    return list(event.get("table_labels") or [str(t + 1) for t in range(event["num_tables"])])


def table_label(event: dict[str, Any], index: int | None) -> str | None:
    labels = table_labels(event)
    return labels[index] if index is not None and 0 <= index < len(labels) else None


def table_index(event: dict[str, Any], label: Any, field: str = "fixed_table") -> int:
    """The index of the table a person names; a clear error naming the field otherwise."""
    labels = table_labels(event)
    text = str(label).strip()
    if text in labels:
        return labels.index(text)
    shown = ", ".join(labels[:5]) + (f" … {labels[-1]}" if len(labels) > 5 else "")
    raise InvalidRequestError(f"{field}: no table labelled {text!r} (tables: {shown})",
                              {field: [f"unknown table {text!r}"]})
