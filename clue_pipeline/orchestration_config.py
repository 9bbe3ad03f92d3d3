"""``config/orchestration.yaml``: when the Airflow DAGs of ``dags/`` run, how
often they retry and how many crawls run at once. Validated when loaded, one
clear line when wrong. Importing this module imports no Airflow: the DAG files
read it while they are parsed, ``clues orchestration`` reads it without Airflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clue_pipeline import settings
from clue_pipeline.errors import ConfigError
from clue_pipeline.settings_file import read_yaml, validate

# The presets cron knows, spelled out (Airflow's and croniter's meaning).
CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
POOL_NAME = r"^[A-Za-z0-9_.-]{1,256}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _cron(value: str | None) -> str | None:
    """A five-field cron expression or a preset (spelled out); None: manual only."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a cron expression such as '0 2 * * *', a preset or null")
    text = " ".join(value.split())
    text = CRON_PRESETS.get(text, text)
    from croniter import croniter

    if len(text.split()) != 5 or not croniter.is_valid(text):
        presets = ", ".join(CRON_PRESETS)
        raise ValueError(
            f"{value!r} is not a cron expression; expected five fields "
            f"(minute hour day month weekday) such as '0 2 * * *', one of {presets}, "
            "or null for manual runs only"
        )
    return text


class Schedule(_Strict):
    """What every DAG has: when it runs and how its tasks retry."""

    schedule: str | None
    retries: int = Field(1, ge=0, le=20)
    retry_delay_seconds: float = Field(300.0, ge=0, le=86_400)
    max_retry_delay_seconds: float = Field(3600.0, ge=0, le=7 * 86_400)

    @field_validator("schedule", mode="before")
    @classmethod
    def _check_schedule(cls, value: Any) -> str | None:
        return _cron(value)


class NightlyConfig(Schedule):
    schedule: str | None = "0 2 * * *"
    retries: int = Field(2, ge=0, le=20)
    crawl_timeout_minutes: float = Field(120.0, gt=0, le=24 * 60)
    process_timeout_minutes: float = Field(240.0, gt=0, le=24 * 60)
    browser_slots: int = Field(
        2, ge=1, le=128, description="slots of the crawl pool a render: true crawl takes"
    )
    browser_parallel: int = Field(
        1, ge=1, le=64, description="render: true crawls at once within one nightly run"
    )


class SupervisionConfig(Schedule):
    schedule: str | None = "0 * * * *"
    retries: int = Field(1, ge=0, le=20)
    retry_delay_seconds: float = Field(120.0, ge=0, le=86_400)
    timeout_minutes: float = Field(30.0, gt=0, le=24 * 60)


class WeeklyReviewConfig(Schedule):
    schedule: str | None = "0 7 * * 1"
    retries: int = Field(1, ge=0, le=20)
    retry_delay_seconds: float = Field(600.0, ge=0, le=86_400)
    timeout_minutes: float = Field(60.0, gt=0, le=24 * 60)


class Pool(_Strict):
    name: str = Field(pattern=POOL_NAME)
    slots: int = Field(ge=1, le=10_000)
    description: str = ""


class Pools(_Strict):
    crawl: Pool = Pool(
        name="clue_crawl",
        slots=4,
        description="clue-pipeline: crawl processes at once (render: true crawls take more)",
    )
    process: Pool = Pool(
        name="clue_process",
        slots=1,
        description="clue-pipeline: processing runs at once (one writer of the vector index)",
    )


class OrchestrationConfig(_Strict):
    timezone: str = "Asia/Shanghai"
    database_connection: str = Field("clues_db", pattern=r"^[A-Za-z0-9_.-]{1,250}$")
    nightly: NightlyConfig = NightlyConfig()
    supervision: SupervisionConfig = SupervisionConfig()
    weekly_review: WeeklyReviewConfig = WeeklyReviewConfig()
    pools: Pools = Pools()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; expected an IANA name such as Asia/Shanghai"
            ) from None
        return value

    def airflow_pools(self) -> dict[str, dict[str, Any]]:
        """The pools in the format of ``airflow pools import FILE``."""
        return {
            pool.name: {
                "slots": pool.slots,
                "description": pool.description,
                "include_deferred": False,
            }
            for pool in (self.pools.crawl, self.pools.process)
        }


def parse_orchestration_config(data: Any, source: str) -> OrchestrationConfig:
    config = validate(OrchestrationConfig, data, source, "config/orchestration.yaml")
    crawl = config.pools.crawl
    if config.nightly.browser_slots > crawl.slots:
        raise ConfigError(
            f"{source}: field 'nightly.browser_slots': {config.nightly.browser_slots} is more "
            f"than the {crawl.slots} slots of pool '{crawl.name}' (pools.crawl.slots), so a "
            "render: true crawl could never start; hint: lower it or raise pools.crawl.slots"
        )
    return config


def load_orchestration_config(path: Path | None = None) -> OrchestrationConfig:
    """The orchestration settings; the defaults when the file does not exist."""
    path = Path(path) if path is not None else settings.orchestration_file()
    if not path.exists():
        return OrchestrationConfig()
    data = read_yaml(path)
    return parse_orchestration_config(data, str(path))
