"""The migrations build exactly the tables the models describe, on SQLite and
PostgreSQL, and 0003 (the workflow) and 0004 (users of the web UI) go down
and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from clue_pipeline.storage.db import make_engine
from clue_pipeline.storage.migrate import current_revision, upgrade
from clue_pipeline.storage.models import Base

ACCOUNT_TABLES = {"users", "web_sessions", "api_tokens"}
WORKFLOW_TABLES = {
    "clue_claims",
    "audit_events",
    "work_orders",
    "order_notes",
    "return_visits",
    "order_recurrences",
}


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    assert current_revision(db_url) == "0007"
    assert _differences(db_url) == []


def test_the_workflow_migration_goes_down_and_up(db_url: str) -> None:
    from alembic import command

    from clue_pipeline.storage.migrate import alembic_config

    command.downgrade(alembic_config(db_url), "0002")
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert not tables & WORKFLOW_TABLES
        assert "corrections" not in {c["name"] for c in inspect(engine).get_columns("clues")}
    finally:
        engine.dispose()
    upgrade(db_url)
    assert _differences(db_url) == []


def test_the_accounts_migration_goes_down_and_up(db_url: str) -> None:
    from alembic import command

    from clue_pipeline.storage.migrate import alembic_config

    command.downgrade(alembic_config(db_url), "0003")
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert not tables & ACCOUNT_TABLES and tables >= WORKFLOW_TABLES
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == "0007"
    assert _differences(db_url) == []


def test_the_content_hash_index_migration_goes_down_and_up(db_url: str) -> None:
    from alembic import command

    from clue_pipeline.storage.migrate import alembic_config

    def indexes() -> set[str]:
        engine = make_engine(db_url)
        try:
            return {i["name"] for i in inspect(engine).get_indexes("post_analyses")}
        finally:
            engine.dispose()

    assert "ix_post_analyses_content_hash" in indexes()
    command.downgrade(alembic_config(db_url), "0004")
    assert "ix_post_analyses_content_hash" not in indexes()
    upgrade(db_url)
    assert current_revision(db_url) == "0007"
    assert _differences(db_url) == []


def test_the_roads_migration_goes_down_and_up(db_url: str) -> None:
    from alembic import command

    from clue_pipeline.storage.migrate import alembic_config

    def road_columns() -> set[str]:
        engine = make_engine(db_url)
        try:
            return {
                table
                for table in ("post_analyses", "clues", "work_orders")
                if "road" in {c["name"] for c in inspect(engine).get_columns(table)}
            }
        finally:
            engine.dispose()

    assert road_columns() == {"post_analyses", "clues", "work_orders"}
    command.downgrade(alembic_config(db_url), "0005")
    assert road_columns() == set()
    upgrade(db_url)
    assert current_revision(db_url) == "0007"
    assert _differences(db_url) == []
