"""The installation's secret key: ``CLUES_SECRET_KEY``, else the file
``CLUES_SECRET_KEY_FILE`` (``var/secret.key``), generated on first use with
mode 0600. It keys the pseudonyms of post authors, so they stay stable
across restarts and differ between installations."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from clue_pipeline import settings
from clue_pipeline.errors import ConfigError

MIN_CHARS = 16


def secret_key() -> bytes:
    """The secret key as bytes; generated into the key file when none is set."""
    value = settings.get("secret_key")
    if value:
        if len(value) < MIN_CHARS:
            raise ConfigError(
                f"CLUES_SECRET_KEY: expected at least {MIN_CHARS} characters, got {len(value)}; "
                "hint: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return value.encode("utf-8")
    return _from_file(settings.secret_key_file())


def _from_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        text = _create(path)
    except OSError as exc:
        raise ConfigError(
            f"CLUES_SECRET_KEY_FILE: cannot read {path} ({exc.strerror}); "
            "hint: fix its permissions or set CLUES_SECRET_KEY"
        ) from None
    if len(text) < MIN_CHARS:
        raise ConfigError(
            f"CLUES_SECRET_KEY_FILE: {path} holds {len(text)} characters, expected at least "
            f"{MIN_CHARS}; hint: delete it to have a new key generated"
        )
    return text.encode("utf-8")


def _create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
