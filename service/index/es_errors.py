"""Elasticsearch failures mapped to domain errors by their cause (pure: no client import).

- The server cannot serve now (5xx, 408, 429, unreachable): BackendUnavailableError, 503.
- It refuses our credentials (401) or our privileges (403): ConfigurationError, an operator fix.
- It refuses a request body we built (other 4xx): BackendRequestError, a 500 that is logged,
  because no input of the caller can cause it.
"""
from __future__ import annotations

import logging
from typing import Any

from service.errors import BackendRequestError, BackendUnavailableError, ConfigurationError, ServiceError

log = logging.getLogger(__name__)
UNAVAILABLE = frozenset({408, 429})
PRIVILEGES_HINT = ("the README lists the privileges Maillon needs (cluster: monitor; indices <prefix>-*: "
                   "read, write, create_index, delete_index, manage, view_index_metadata)")


def domain_error(status: int, what: str, url: str, reason: str, error_type: str | None = None,
                 details: Any = None) -> ServiceError:
    """The domain error for one refused request; `what` says what Maillon was doing."""
    message = f"Elasticsearch at {url} could not {what}: {status} {reason}"
    if status >= 500 or status in UNAVAILABLE:
        return BackendUnavailableError(message, details)
    if status == 401:
        return ConfigurationError(f"Elasticsearch at {url} refused the credentials: check ES_API_KEY or "
                                  f"ES_USERNAME/ES_PASSWORD ({reason})", details)
    if status == 403:
        return ConfigurationError(f"Elasticsearch at {url} denied a privilege needed to {what}: {reason}; "
                                  f"{PRIVILEGES_HINT}", details)
    if error_type == "media_type_header_exception":
        return ConfigurationError(f"Elasticsearch at {url} refused the client's version headers ({reason}): "
                                  "install the client of the server's major version (elasticsearch>=8.13,<9 "
                                  "serves 8.x and 9.x servers)", details)
    log.error("Elasticsearch refused a request Maillon built (%s): %s %s %s", what, status, reason, details)
    return BackendRequestError(message, details)


def error_parts(body: Any) -> tuple[str | None, str]:
    """(type, reason) of an Elasticsearch error body, whatever its shape."""
    error = body.get("error") if isinstance(body, dict) else body
    if isinstance(error, dict):
        return error.get("type"), str(error.get("reason") or error.get("type") or error)
    return None, str(error)


def bulk_failure(failed: list[dict[str, Any]], total: int, url: str) -> ServiceError:
    """One error for the items a bulk write could not store (after retries), naming each of them."""
    details = []
    for item in failed:
        error_type, reason = error_parts(item)
        details.append({"index": item.get("_index"), "id": item.get("_id"), "status": item.get("status"),
                        "type": error_type, "reason": reason})
    statuses = {int(d["status"] or 500) for d in details}
    ours = sorted(s for s in statuses if 400 <= s < 500 and s not in UNAVAILABLE)
    status = ours[0] if ours else max(statuses)
    first = details[0]
    what = (f"store {len(failed)} of {total} document(s) (the {total - len(failed)} others were written; "
            f"first refused: {first['id']}: {first['reason']})")
    return domain_error(status, what, url, first["reason"], first["type"], details[:100])
