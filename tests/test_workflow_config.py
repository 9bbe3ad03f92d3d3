"""``config/workflow.yaml``: validated when loaded; every mistake is one line
naming the file, the key, what was expected and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from clue_pipeline.errors import ConfigError
from verification.config import WorkflowConfig, load_workflow_config

ROOT = Path(__file__).resolve().parents[1]


def _load(tmp_path: Path, text: str) -> WorkflowConfig:
    path = tmp_path / "workflow.yaml"
    path.write_text(text, encoding="utf-8")
    return load_workflow_config(path)


def test_the_shipped_file_is_valid_and_says_what_the_defaults_say() -> None:
    shipped = load_workflow_config(ROOT / "config" / "workflow.yaml")
    assert shipped == WorkflowConfig()
    assert shipped.dispatch.minutes(urgent=True) == 30
    assert shipped.dispatch.minutes(urgent=False) == 120
    assert shipped.claims.lease_minutes == 30
    assert shipped.recurrence.window_days == 90
    assert [(s.level, s.to) for s in shipped.escalation] == [
        (1, "supervisor"),
        (2, "department_head"),
    ]


def test_a_missing_file_means_the_defaults(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CLUES_WORKFLOW", str(tmp_path / "absent.yaml"))
    assert load_workflow_config() == WorkflowConfig()


def test_values_are_read_and_a_change_of_the_file_is_seen(tmp_path: Path) -> None:
    config = _load(tmp_path, "dispatch: {urgent_minutes: 15}\nclaims: {lease_minutes: 5}\n")
    assert (config.dispatch.urgent_minutes, config.dispatch.normal_minutes) == (15, 120)
    assert config.claims.lease_minutes == 5
    config = _load(tmp_path, "recurrence:\n  window_days: 30\n")
    assert config.recurrence.window_days == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dispatch: {urgent_minutes: 0}\n",
            "dispatch.urgent_minutes: expected a number >= 1, got 0; hint: minutes from "
            "filing to dispatch for urgent matters, e.g. 30",
        ),
        (
            "claims: {lease_minuts: 30}\n",
            "claims.lease_minuts: unknown key 'lease_minuts'; hint: did you mean 'lease_minutes'?",
        ),
        (
            "recurrence: {window_days: soon}\n",
            "recurrence.window_days: expected a whole number, got 'soon'; hint: days after "
            "resolution in which new posts reopen an order, e.g. 90",
        ),
        (
            "escalation:\n  - {level: 2, to: supervisor, after_overdue_minutes: 0}\n",
            "(top level): escalation steps must have levels 1, 2, 3, ... in order; step 1 has "
            "level 2; hint: see the comments at the top of the file",
        ),
        (
            "escalation:\n  - {level: 1, to: supervisor}\n",
            "escalation[0].after_overdue_minutes: required key is missing; hint: minutes an "
            "order has been overdue before this step, e.g. 1440",
        ),
        (
            "timezone: Mars/Olympus\n",
            "timezone: unknown time zone 'Mars/Olympus'; hint: an IANA time zone for times "
            "shown to analysts, e.g. Asia/Shanghai",
        ),
        (
            "- dispatch\n",
            "expected a mapping of settings at the top, got list; hint: start from the "
            "shipped config/workflow.yaml",
        ),
        (
            "dispatch: [urgent_minutes\n",
            "not valid YAML at line 2, column 1: expected ',' or ']', but got '<stream end>'; "
            "hint: check indentation and quotes",
        ),
    ],
)
def test_mistakes_are_one_line_naming_file_key_expected_and_hint(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert str(caught.value) == f"{tmp_path / 'workflow.yaml'}: {message}"
