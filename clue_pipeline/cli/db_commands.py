"""``clues db ...``"""

from __future__ import annotations

import typer
from rich.markup import escape

from clue_pipeline.cli.app import db_app
from clue_pipeline.cli.output import console
from clue_pipeline.storage.migrate import current_revision, upgrade


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Create or migrate the database schema (Alembic)."""
    url = upgrade(database_url, revision)
    console.print(f"database at revision [bold]{current_revision(url)}[/]: {escape(_safe(url))}")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
