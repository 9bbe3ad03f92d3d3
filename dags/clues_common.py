"""What the clue-pipeline DAG files share: the project home, the validated
``config/orchestration.yaml``, schedules, retry arguments and the clue
database URL (an Airflow connection, else ``CLUES_DATABASE_URL``).

Not a DAG file (``.airflowignore`` lists it): the DAG files import it, and
Airflow puts this folder on ``sys.path`` for them. Nothing heavy is imported
here; the work itself lives in the packages the tasks import (``crawlers``,
``verification``, ``clue_pipeline``)."""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

START_DATE = datetime(2024, 1, 1)
TAGS = ["clue-pipeline"]
CHECKOUT = Path(__file__).resolve().parents[1]


def ensure_home() -> None:
    """Relative paths of clue-pipeline (``config/...``, ``var/...``) are read
    from ``CLUES_HOME``; when it is not set and this folder sits in a checkout
    (``config/`` beside it), the checkout is the home, whatever directory the
    Airflow process started in."""
    if not os.environ.get("CLUES_HOME") and (CHECKOUT / "config").is_dir():
        os.environ["CLUES_HOME"] = str(CHECKOUT)


def load_config() -> Any:
    """``config/orchestration.yaml`` (``CLUES_ORCHESTRATION``), validated: a
    wrong key stops the DAG file with one line naming it."""
    from clue_pipeline.orchestration_config import load_orchestration_config

    return load_orchestration_config()


def timetable(schedule: str | None, timezone: str) -> Any:
    """A cron schedule in ``timezone`` that runs at the given times (no data
    intervals), or None: manual runs only."""
    if schedule is None:
        return None
    from airflow.sdk import CronTriggerTimetable

    return CronTriggerTimetable(schedule, timezone=timezone)


def start_date(timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return START_DATE.replace(tzinfo=ZoneInfo(timezone))


def default_args(schedule: Any) -> dict[str, Any]:
    """Retries with exponential backoff from a schedule section of the config."""
    return {
        "owner": "clue-pipeline",
        "retries": schedule.retries,
        "retry_delay": timedelta(seconds=schedule.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(seconds=schedule.max_retry_delay_seconds),
    }


def url_from_connection(
    conn_id: str,
    conn_type: str | None,
    *,
    host: str | None = None,
    login: str | None = None,
    password: str | None = None,
    port: int | None = None,
    schema: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """The SQLAlchemy URL an Airflow connection describes: its ``extra``
    ``sqlalchemy_url`` when set, else a ``postgres`` connection's fields, else
    a ``sqlite`` connection's path (host or schema)."""
    from sqlalchemy.engine import URL

    from clue_pipeline.errors import ConfigError

    extra = extra or {}
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    kind = (conn_type or "").lower()
    if kind in ("postgres", "postgresql"):
        url = URL.create(
            "postgresql+psycopg",
            username=login or None,
            password=password or None,
            host=host or None,
            port=port or None,
            database=schema or None,
        )
        return url.render_as_string(hide_password=False)
    if kind == "sqlite":
        path = host or schema
        if path:
            return f"sqlite:///{path}"
    raise ConfigError(
        f"Airflow connection '{conn_id}': conn_type {conn_type!r} does not name a clue "
        "database; expected a postgres connection (host, login, password, port, schema), "
        "a sqlite one (host: the file), or an extra field sqlalchemy_url; "
        f"hint: airflow connections add {conn_id} --conn-uri postgresql://USER:PASSWORD@HOST/DB"
    )


def database_url(conn_id: str) -> str:
    """The clue database: the Airflow connection ``conn_id`` when it exists,
    else ``CLUES_DATABASE_URL``, else the SQLite file ``var/clues.db``."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from clue_pipeline import settings

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        return settings.database_url()
    return url_from_connection(
        conn_id,
        conn.conn_type,
        host=conn.host,
        login=conn.login,
        password=conn.password,
        port=conn.port,
        schema=conn.schema,
        extra=conn.extra_dejson,
    )


def plain(value: Any) -> Any:
    """A report object as JSON values (for the log and the XCom): dataclasses,
    pydantic models, mappings, sequences, datetimes."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return plain(value.to_dict())  # the object's own account of itself comes first
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
