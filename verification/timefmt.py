"""Times shown to analysts: local time of the configured zone."""

from __future__ import annotations

from datetime import datetime

from verification.config import WorkflowConfig, load_workflow_config


def local(value: datetime | None, config: WorkflowConfig | None = None) -> str:
    """``2026-11-20 14:30`` in the workflow's time zone; ``-`` for None."""
    if value is None:
        return "-"
    zone = (config or load_workflow_config()).zone
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
