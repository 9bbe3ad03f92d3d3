"""``config/orchestration.yaml`` (the Airflow DAGs' schedules, retries, pools)
and ``clues orchestration validate|pools``: validated when loaded, one line
naming the key when wrong. No Airflow is imported here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clue_pipeline.errors import ConfigError
from clue_pipeline.orchestration_config import (
    OrchestrationConfig,
    load_orchestration_config,
    parse_orchestration_config,
)

ROOT = Path(__file__).resolve().parents[1]
CLUES = Path(sys.executable).with_name("clues")
SHIPPED = ROOT / "config" / "orchestration.yaml"


def test_the_shipped_file_says_what_the_defaults_are() -> None:
    assert load_orchestration_config(SHIPPED) == OrchestrationConfig()


def test_defaults_when_the_file_is_absent(tmp_path: Path) -> None:
    config = load_orchestration_config(tmp_path / "absent.yaml")
    assert config.nightly.schedule == "0 2 * * *"
    assert config.supervision.schedule == "0 * * * *"
    assert config.weekly_review.schedule == "0 7 * * 1"
    assert config.timezone == "Asia/Shanghai"
    assert config.database_connection == "clues_db"
    assert (config.pools.crawl.name, config.pools.crawl.slots) == ("clue_crawl", 4)
    assert (config.pools.process.name, config.pools.process.slots) == ("clue_process", 1)


def test_presets_are_spelled_out_and_null_means_manual_only() -> None:
    config = parse_orchestration_config(
        {"nightly": {"schedule": "@daily"}, "supervision": {"schedule": None}}, "o.yaml"
    )
    assert config.nightly.schedule == "0 0 * * *"
    assert config.supervision.schedule is None
    spaced = parse_orchestration_config({"nightly": {"schedule": " 30  1 * * * "}}, "o.yaml")
    assert spaced.nightly.schedule == "30 1 * * *"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"nightly": {"schedule": "0 25 * * *"}},
            "o.yaml: field 'nightly.schedule': '0 25 * * *' is not a cron expression; "
            "expected five fields (minute hour day month weekday) such as '0 2 * * *', one of "
            "@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, or null for "
            "manual runs only; hint: see the comments in config/orchestration.yaml",
        ),
        (
            {"nightly": {"schedul": "0 2 * * *"}},
            "o.yaml: field 'nightly.schedul': unknown key; hint: did you mean 'schedule'?",
        ),
        (
            {"pools": {"crawls": {}}},
            "o.yaml: field 'pools.crawls': unknown key; hint: did you mean 'crawl'?",
        ),
        (
            {"timezone": "Asia/Shanghia"},
            "o.yaml: field 'timezone': unknown time zone 'Asia/Shanghia'; expected an IANA "
            "name such as Asia/Shanghai; hint: see the comments in config/orchestration.yaml",
        ),
        (
            {"nightly": {"retries": -1}},
            "o.yaml: field 'nightly.retries': Input should be greater than or equal to 0; "
            "hint: see the comments in config/orchestration.yaml",
        ),
        (
            {"pools": {"crawl": {"name": "clue_crawl", "slots": 1}}},
            "o.yaml: field 'nightly.browser_slots': 2 is more than the 1 slots of pool "
            "'clue_crawl' (pools.crawl.slots), so a render: true crawl could never start; "
            "hint: lower it or raise pools.crawl.slots",
        ),
        (["nightly"], "o.yaml: expected a mapping of settings at the top"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_key(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_orchestration_config(data, "o.yaml")
    assert str(caught.value) == message


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "orchestration.yaml"
    path.write_text("nightly:\n  schedule: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:3:1: not valid YAML"):
        load_orchestration_config(path)


def test_pools_in_airflows_import_format() -> None:
    config = parse_orchestration_config(
        {"pools": {"crawl": {"name": "crawlers", "slots": 8, "description": "all crawls"}}},
        "o.yaml",
    )
    assert config.airflow_pools() == {
        "crawlers": {"slots": 8, "description": "all crawls", "include_deferred": False},
        "clue_process": {
            "slots": 1,
            "description": (
                "clue-pipeline: processing runs at once (one writer of the vector index)"
            ),
            "include_deferred": False,
        },
    }


def clues(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert CLUES.exists(), f"console script {CLUES} missing: pip install -e ."
    return subprocess.run(
        [str(CLUES), *args],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "COLUMNS": "250",
            "NO_COLOR": "1",
            "CLUES_HOME": str(ROOT),
            **(env or {}),
        },
        timeout=120,
        cwd=ROOT,
    )


def test_cli_validates_the_file_and_prints_the_pools(tmp_path: Path) -> None:
    done = clues("orchestration", "validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{SHIPPED}: OK (nightly: 0 2 * * *; supervision: 0 * * * *; weekly review: "
        "0 7 * * 1; time zone Asia/Shanghai; pools: clue_crawl 4, clue_process 1)"
    )
    done = clues("orchestration", "pools")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == OrchestrationConfig().airflow_pools()

    bad = tmp_path / "orchestration.yaml"
    bad.write_text("supervision:\n  schedule: every hour\n", encoding="utf-8")
    done = clues("orchestration", "validate", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(
        f"error: {bad}: field 'supervision.schedule': 'every hour' is not a cron expression"
    )
    done = clues("orchestration", "pools", env={"CLUES_ORCHESTRATION": str(tmp_path / "none.yaml")})
    assert done.returncode == 2
    assert "none.yaml: file not found" in done.stderr
