"""Workflow errors: one clear line for the user, and the HTTP status an API
handler answers with (issue 6 maps ``http_status`` directly)."""

from __future__ import annotations

from clue_pipeline.errors import ClueError


class WorkflowError(ClueError):
    """A workflow action that cannot be done; the message says why."""

    http_status = 400


class NotFound(WorkflowError):
    """No clue, order or post with that id."""

    http_status = 404


class TransitionForbidden(WorkflowError):
    """The current state does not allow the action."""

    http_status = 409


class ClaimConflict(WorkflowError):
    """Another analyst holds the clue, or the actor holds no claim on it."""

    http_status = 423


class InvalidInput(WorkflowError):
    """An argument is wrong: an unknown item code, an empty reason, ..."""

    http_status = 422


class AlreadyExists(WorkflowError):
    """Something with that name exists already (a user)."""

    http_status = 409
