"""The configuration in force, for admins: every setting of the registry
with its value (secrets and database passwords never shown), the web
settings and the workflow settings."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.engine import make_url

from clue_pipeline import settings
from verification.config import load_workflow_config
from verification.web.state import WebState

HIDDEN = {"secret_key"}


def shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as a placeholder
        return "(unparsable URL)"


def config_view(state: WebState) -> dict[str, Any]:
    rows = []
    for setting in settings.SETTINGS:
        raw = os.environ.get(setting.env)
        value = settings.get(setting.name)
        if setting.name in HIDDEN:
            value = "(set)" if value else "(not set: the key file is used)"
        elif setting.name == "database_url":
            value = state.database_shown
        rows.append(
            {
                "name": setting.name,
                "env": setting.env,
                "value": value,
                "from_env": raw is not None and raw != "",
                "help": setting.help,
            }
        )
    return {
        "settings": rows,
        "web": state.config.model_dump(),
        "workflow": load_workflow_config().model_dump(mode="json"),
    }
