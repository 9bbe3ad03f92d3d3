"""``config/workflow.yaml``: dispatch deadlines by tier, the claim lease,
escalation steps, the recurrence window and the weekly review. Validated when
loaded; a mistake is one line naming the file, the key, what was expected and
a hint. Handling deadlines per matter come from the catalogue."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clue_pipeline import settings
from clue_pipeline.catalog.loader import describe_error
from clue_pipeline.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DispatchConfig(_Strict):
    """Minutes from filing within which an order must be dispatched."""

    urgent_minutes: int = Field(30, ge=1, le=24 * 60)
    normal_minutes: int = Field(120, ge=1, le=7 * 24 * 60)

    def minutes(self, urgent: bool) -> int:
        return self.urgent_minutes if urgent else self.normal_minutes


class ClaimConfig(_Strict):
    lease_minutes: int = Field(30, ge=1, le=24 * 60)


class EscalationStep(_Strict):
    """Raise an overdue order to ``level`` (named ``to``) once it has been
    overdue for ``after_overdue_minutes``."""

    level: int = Field(ge=1, le=9)
    to: str = Field(min_length=1, max_length=64)
    after_overdue_minutes: int = Field(ge=0, le=365 * 24 * 60)


class RecurrenceConfig(_Strict):
    window_days: int = Field(90, ge=1, le=3650)


class ReviewConfig(_Strict):
    days: int = Field(7, ge=1, le=366)
    limit: int = Field(20, ge=1, le=1000)


DEFAULT_ESCALATION = (
    EscalationStep(level=1, to="supervisor", after_overdue_minutes=0),
    EscalationStep(level=2, to="department_head", after_overdue_minutes=24 * 60),
)


class WorkflowConfig(_Strict):
    version: Literal[1] = 1
    timezone: str = "Asia/Shanghai"
    dispatch: DispatchConfig = DispatchConfig()
    claims: ClaimConfig = ClaimConfig()
    escalation: tuple[EscalationStep, ...] = DEFAULT_ESCALATION
    recurrence: RecurrenceConfig = RecurrenceConfig()
    review: ReviewConfig = ReviewConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _steps_in_order(self) -> WorkflowConfig:
        for number, step in enumerate(self.escalation, start=1):
            if step.level != number:
                raise ValueError(
                    f"escalation steps must have levels 1, 2, 3, ... in order; "
                    f"step {number} has level {step.level}"
                )
        afters = [s.after_overdue_minutes for s in self.escalation]
        if afters != sorted(afters):
            raise ValueError("escalation steps must not have decreasing after_overdue_minutes")
        return self

    def escalation_name(self, level: int) -> str:
        if level <= 0:
            return "none"
        return self.escalation[min(level, len(self.escalation)) - 1].to


_MODELS: dict[str | None, type[BaseModel]] = {
    None: WorkflowConfig,
    "dispatch": DispatchConfig,
    "claims": ClaimConfig,
    "escalation": EscalationStep,
    "recurrence": RecurrenceConfig,
    "review": ReviewConfig,
}

_HINTS = {
    "version": "write version: 1",
    "timezone": "an IANA time zone for times shown to analysts, e.g. Asia/Shanghai",
    "urgent_minutes": "minutes from filing to dispatch for urgent matters, e.g. 30",
    "normal_minutes": "minutes from filing to dispatch for ordinary matters, e.g. 120",
    "lease_minutes": "minutes a claim holds a clue before others may take it, e.g. 30",
    "escalation": "a list of steps like {level: 1, to: supervisor, after_overdue_minutes: 0}",
    "level": "1 for the first step, 2 for the second, ...",
    "to": "who the order is raised to, e.g. supervisor or department_head",
    "after_overdue_minutes": "minutes an order has been overdue before this step, e.g. 1440",
    "window_days": "days after resolution in which new posts reopen an order, e.g. 90",
    "days": "days the weekly review looks back, e.g. 7",
    "limit": "how many orders the weekly review lists, e.g. 20",
}

_lock = threading.Lock()
_cache: dict[Path, tuple[int, int, WorkflowConfig]] = {}


def parse_workflow_config(data: Any, source: str) -> WorkflowConfig:
    """Validate parsed YAML; ``source`` names the file in errors."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping of settings at the top, got {type(data).__name__}; "
            "hint: start from the shipped config/workflow.yaml"
        )
    try:
        return WorkflowConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc, data, source, _MODELS, _HINTS)) from None


def load_workflow_config(path: str | Path | None = None) -> WorkflowConfig:
    """The workflow settings of ``path`` (default: ``CLUES_WORKFLOW``);
    the defaults when the file does not exist. Cached until the file changes."""
    file = Path(path) if path is not None else settings.workflow_file()
    try:
        stat = file.stat()
    except FileNotFoundError:
        return WorkflowConfig()
    key = file.resolve()
    with _lock:
        cached = _cache.get(key)
        if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
    text = file.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{file}: not valid YAML{where}: {problem}; hint: check indentation and quotes"
        ) from None
    config = parse_workflow_config(data, str(file))
    with _lock:
        _cache[key] = (stat.st_mtime_ns, stat.st_size, config)
    return config
