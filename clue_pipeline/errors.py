"""Errors a user sees as one clear line, never as a traceback."""

from __future__ import annotations


class ClueError(Exception):
    """An error whose message is meant for the user as it is."""


class ConfigError(ClueError):
    """A configuration file is wrong. The message names file, place, field,
    what was expected and a hint."""
