"""One registry of settings (datasette style): every setting has a name, an
environment variable, a default and a help line. Paths are relative to the
project home (``CLUES_HOME``, default: the current directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "CLUES_HOME", ".", "project home: config/ and var/ live under it"),
    Setting(
        "database_url",
        "CLUES_DATABASE_URL",
        "",
        "SQLAlchemy URL of the clue database; default: SQLite file var/clues.db",
    ),
    Setting(
        "platforms_file",
        "CLUES_PLATFORMS",
        "config/platforms.yaml",
        "platform sources file",
    ),
    Setting("catalog_file", "CLUES_CATALOG", "config/catalog.yaml", "matter catalogue file"),
    Setting("gazetteer_file", "CLUES_GAZETTEER", "config/gazetteer.yaml", "places of the city"),
    Setting("urgency_file", "CLUES_URGENCY", "config/urgency.yaml", "urgent terms and patterns"),
    Setting(
        "processing_file",
        "CLUES_PROCESSING",
        "config/processing.yaml",
        "processing: embedder, grouping thresholds, index, priority",
    ),
    Setting(
        "workflow_file",
        "CLUES_WORKFLOW",
        "config/workflow.yaml",
        "verification workflow: dispatch deadlines, claim lease, escalation, recurrence",
    ),
    Setting(
        "orchestration_file",
        "CLUES_ORCHESTRATION",
        "config/orchestration.yaml",
        "Airflow DAGs (dags/): schedules, retries, pools, database connection",
    ),
    Setting("var_dir", "CLUES_VAR", "var", "state directory: database, index, models, logs"),
    Setting(
        "secret_key",
        "CLUES_SECRET_KEY",
        "",
        "secret that keys author pseudonyms (any long random string); default: the file "
        "CLUES_SECRET_KEY_FILE, generated on first use",
    ),
    Setting(
        "secret_key_file",
        "CLUES_SECRET_KEY_FILE",
        "var/secret.key",
        "file of the secret key when CLUES_SECRET_KEY is not set (created with mode 0600)",
    ),
    Setting(
        "web_session_hours",
        "CLUES_WEB_SESSION_HOURS",
        "12",
        "web UI: hours a login lasts",
    ),
    Setting(
        "web_login_attempts",
        "CLUES_WEB_LOGIN_ATTEMPTS",
        "5",
        "web UI: failed logins allowed per user and address within the window",
    ),
    Setting(
        "web_login_window_minutes",
        "CLUES_WEB_LOGIN_WINDOW_MINUTES",
        "15",
        "web UI: the window of CLUES_WEB_LOGIN_ATTEMPTS, in minutes",
    ),
    Setting(
        "web_secure_cookies",
        "CLUES_WEB_SECURE_COOKIES",
        "auto",
        "web UI: Secure flag of the session cookie: auto (when served over https), always, never",
    ),
    Setting(
        "reports_dir",
        "CLUES_REPORTS",
        "var/reports",
        "where `clues report weekly` and the weekly DAG write reports",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The registered setting called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise KeyError(f"unknown setting {name!r}; known settings: {known}") from None


def get(name: str) -> str:
    """Value of a setting: its environment variable, else its default."""
    found = setting(name)
    return os.environ.get(found.env) or found.default


def home() -> Path:
    return Path(get("home")).resolve()


def resolve_path(value: str | Path) -> Path:
    """An absolute path as it is; ``var/...`` under the state directory
    (CLUES_VAR); anything else relative to the project home."""
    path = Path(value)
    if path.is_absolute():
        return path
    if path.parts and path.parts[0] == "var":
        state = Path(get("var_dir"))
        state = state if state.is_absolute() else home() / state
        return state.joinpath(*path.parts[1:])
    return home() / path


def var_dir() -> Path:
    path = resolve_path(get("var_dir"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = get("database_url")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'clues.db'}"


def platforms_file() -> Path:
    return resolve_path(get("platforms_file"))


def catalog_file() -> Path:
    return resolve_path(get("catalog_file"))


def processing_file() -> Path:
    return resolve_path(get("processing_file"))


def gazetteer_file() -> Path:
    return resolve_path(get("gazetteer_file"))


def urgency_file() -> Path:
    return resolve_path(get("urgency_file"))


def workflow_file() -> Path:
    return resolve_path(get("workflow_file"))


def orchestration_file() -> Path:
    return resolve_path(get("orchestration_file"))


def secret_key_file() -> Path:
    return resolve_path(get("secret_key_file"))


def reports_dir() -> Path:
    return resolve_path(get("reports_dir"))
