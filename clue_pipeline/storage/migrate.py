"""Alembic migrations, run programmatically (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from clue_pipeline import settings
from clue_pipeline.storage.db import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Migrate the database at ``url`` (default: configured) to ``revision``."""
    url = url or settings.database_url()
    command.upgrade(alembic_config(url), revision)
    return url


def current_revision(url: str | None = None) -> str | None:
    engine = make_engine(url or settings.database_url())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def require_schema(url: str | None = None) -> str:
    """The URL, once its database is known to be migrated; else one clear error."""
    from clue_pipeline.errors import ClueError

    url = url or settings.database_url()
    try:
        revision = current_revision(url)
    except Exception as exc:  # noqa: BLE001 - cannot connect at all
        raise ClueError(f"cannot open the database: {exc.__class__.__name__}: {exc}") from None
    if revision is None:
        raise ClueError("the database has no schema yet; hint: run `clues db upgrade` first")
    return url
