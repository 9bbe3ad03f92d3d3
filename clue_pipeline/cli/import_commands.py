"""``clues import``: posts from a JSON lines or CSV file (another system's export)."""

from __future__ import annotations

from pathlib import Path

import typer

from clue_pipeline.cli.app import app
from clue_pipeline.cli.output import progress_bar, say

SHOWN_REFUSALS = 10


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="JSON lines (.jsonl) or CSV (.csv, with a header)."),
    platform: str = typer.Option(
        ..., "--platform", help="Platform name the posts are stored under, e.g. hotline."
    ),
    file_format: str = typer.Option(None, "--format", help="jsonl or csv (default: by suffix)."),
    mapping: list[str] = typer.Option(
        None,
        "--map",
        help="FIELD=COLUMN: the file's column for a post field (repeatable), e.g. "
        "--map text=detail --map published_at=time. Fields: external_id (default column "
        "external_id or id), text, title, url, author, published_at, likes, comments, "
        "reposts, location_text, media_urls.",
    ),
    timezone: str = typer.Option(
        "Asia/Shanghai", "--timezone", help="Zone of times given without one."
    ),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Store the posts of a file as posts of PLATFORM (again: nothing is stored twice),
    for `clues process`."""
    from clue_pipeline.post_import import import_posts, parse_mapping
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import require_schema

    fields = parse_mapping(mapping or [])
    engine = make_engine(require_schema(database_url))
    try:
        with progress_bar(f"importing {file.name}") as progress:
            report = import_posts(
                engine,
                file,
                platform,
                file_format_name=file_format,
                mapping=fields,
                timezone=timezone,
                progress=progress,
            )
    finally:
        engine.dispose()
    say(
        f"imported {file}: {report.rows} row(s) as posts of {platform}: {report.new} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.refused} refused "
        f"(crawl run {report.run_id})"
    )
    if report.repeated:
        say(
            f"{report.repeated} row(s) repeat an earlier row's external id: the last of each "
            "is what is stored"
        )
    for line, reason in report.samples[:SHOWN_REFUSALS]:
        say(f"  line {line}: {reason}")
    if report.refused > SHOWN_REFUSALS:
        say(f"  ... and {report.refused - SHOWN_REFUSALS} more refused row(s)")
    if report.new or report.updated:
        say("next: clues process (the new and changed posts wait for it)")
    if report.refused:
        raise typer.Exit(1)
