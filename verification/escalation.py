"""Escalation: how far up an overdue order is raised, by how long it has
been overdue (``escalation`` steps of config/workflow.yaml)."""

from __future__ import annotations

from verification.config import EscalationStep, WorkflowConfig


def level_for(overdue_minutes: float, config: WorkflowConfig) -> int:
    """The highest step whose ``after_overdue_minutes`` has passed (0: none)."""
    level = 0
    for step in config.escalation:
        if overdue_minutes >= step.after_overdue_minutes:
            level = step.level
    return level


def step(level: int, config: WorkflowConfig) -> EscalationStep | None:
    return next((s for s in config.escalation if s.level == level), None)
