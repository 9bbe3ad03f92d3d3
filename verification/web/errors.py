"""Errors of the web layer, with the HTTP status they answer with, and the
``code`` every JSON error carries: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import re

from clue_pipeline.errors import ClueError


class WebError(ClueError):
    http_status = 400


class NotAuthenticated(WebError):
    """No valid session or token: log in."""

    http_status = 401


class Forbidden(WebError):
    """Logged in, but the role does not allow it."""

    http_status = 403


class CsrfFailed(WebError):
    """A state-changing request without the session's CSRF token."""

    http_status = 403


class TooManyAttempts(WebError):
    """Too many failed logins for this user from this address."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def status_of(exc: ClueError) -> int:
    """The HTTP status of a user error: its ``http_status``; a configuration
    error is the server's (500)."""
    return int(getattr(exc, "http_status", 500))


def code_of(exc: Exception) -> str:
    """``NotFound`` -> ``not_found``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
