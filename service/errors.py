"""Domain exceptions raised by services; the API maps them to HTTP statuses in one table."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidRequestError(ServiceError):
    """The input is wrong; `errors` says where (field, row, line)."""


class NotFoundError(ServiceError):
    """The object asked for does not exist (or is not visible to the caller)."""


class ConflictError(ServiceError):
    """The request clashes with the current state of an object."""


class AuthenticationError(ServiceError):
    """No valid credentials."""


class ForbiddenError(ServiceError):
    """The caller is known but may not do this."""


class BackendUnavailableError(ServiceError):
    """A backend (store, search engine, Redis) cannot be reached right now."""


class ConfigurationError(ServiceError):
    """Settings or a configuration file are invalid; raised once at startup."""


class BackendRequestError(ServiceError):
    """A backend refused a request the service built itself: a bug, not the caller's input."""
