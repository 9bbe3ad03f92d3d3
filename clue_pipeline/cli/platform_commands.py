"""``clues platforms validate [FILE]`` and ``clues platforms list``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clue_pipeline import settings
from clue_pipeline.cli.app import platforms_app
from clue_pipeline.cli.output import console, error_console, say
from clue_pipeline.errors import ConfigError
from clue_pipeline.platforms.health import SILENT_AFTER, PlatformStatus, platform_status
from clue_pipeline.platforms.loader import load_platforms
from clue_pipeline.platforms.models import PlatformsFile
from clue_pipeline.storage.types import utcnow


def _load_or_exit(path: Path | None) -> PlatformsFile:
    """The platforms file, or its one error line on stderr and exit code 2."""
    try:
        return load_platforms(path)
    except ConfigError as exc:
        error_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True
        )
        sys.exit(2)  # (typer.Exit's code is lost under standalone_mode=False)


@platforms_app.command("validate")
def validate(
    file: Annotated[
        Path | None, typer.Argument(help="Platforms file; default: CLUES_PLATFORMS.")
    ] = None,
) -> None:
    """Check a platforms file: schema, selectors, JMESPath, URLs."""
    path = file if file is not None else settings.platforms_file()
    parsed = _load_or_exit(path)
    kinds = Counter(platform.kind for platform in parsed.platforms)
    disabled = sum(not platform.enabled for platform in parsed.platforms)
    count = len(parsed.platforms)
    console.print(
        f"{path}: {count} platform{'s' if count != 1 else ''} OK "
        f"(html: {kinds['html']}, json: {kinds['json']}, feed: {kinds['feed']}; "
        f"{disabled} disabled)",
        highlight=False,
        soft_wrap=True,
    )


@platforms_app.command("list")
def list_platforms(
    config: Annotated[
        Path | None, typer.Option("--config", help="Platforms file; default: CLUES_PLATFORMS.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Every platform with its last crawl run; silent ones highlighted."""
    parsed = _load_or_exit(config)
    runs, note = _read_runs()
    now = utcnow()
    rows = [
        platform_status(platform, *runs.get(platform.name, (None, None)), now)
        for platform in parsed.platforms
    ]
    if as_json:
        typer.echo(json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2))
        if note:
            error_console.print(note, highlight=False, soft_wrap=True)
        return
    console.print(_table(rows))
    silent = [row.name for row in rows if row.silent]
    if silent:
        console.print(
            f"[bold red]{len(silent)} silent:[/] {escape(', '.join(silent))}", highlight=False
        )
    others = sorted(set(runs) - {platform.name for platform in parsed.platforms})
    if others:
        path = config if config is not None else settings.platforms_file()
        say(f"runs of platforms not in {path} (imports, or platforms since removed):")
        for name in others:
            run = runs[name][0]
            how = f" ({run.stop_reason})" if run.stop_reason else ""
            say(
                f"  {name}: last run {_local(run.started_at.isoformat(), now)}, {run.status}, "
                f"{run.items} items, {run.new_items} new, {run.errors} errors{how}"
            )
    if note:
        console.print(f"[yellow]{escape(note)}[/]", highlight=False, soft_wrap=True)


def _read_runs() -> tuple[dict[str, tuple], str | None]:
    """``{platform: (last run, last success)}`` of every platform with a run (those of the
    platforms file and others: imports, platforms since removed) from the database, and a
    note when the database cannot be read (not created, not migrated, down)."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from clue_pipeline.storage.crawl_runs import last_runs, last_success
    from clue_pipeline.storage.db import make_engine, session_scope

    url = settings.database_url()
    shown = make_url(url).render_as_string(hide_password=True)
    database = make_url(url).database
    if url.startswith("sqlite") and database and not Path(database).exists():
        return {}, f"no database yet at {database}: run `clues db upgrade` (then `clues crawl`)"
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("crawl_runs"):
            return {}, f"database {shown} is not migrated: run `clues db upgrade`"
        with session_scope(engine) as session:
            latest = last_runs(session)
            found = {name: (run, last_success(session, name)) for name, run in latest.items()}
        return found, None
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        return {}, f"cannot read crawl runs from {shown} ({reason}); showing no runs"
    finally:
        engine.dispose()


def _local(moment_iso: str | None, now: datetime) -> str:
    if moment_iso is None:
        return "-"
    moment = datetime.fromisoformat(moment_iso)
    age = now - moment
    if age < timedelta(hours=1):
        ago = f"{max(int(age.total_seconds() // 60), 0)} min ago"
    elif age < timedelta(days=2):
        ago = f"{int(age.total_seconds() // 3600)} h ago"
    else:
        ago = f"{age.days} d ago"
    return f"{moment.astimezone():%Y-%m-%d %H:%M} ({ago})"


def _table(rows: list[PlatformStatus]) -> Table:
    now = utcnow()
    table = Table(title="Platforms", title_justify="left")
    table.add_column("platform / start URL", overflow="fold", min_width=20)
    table.add_column("kind", no_wrap=True)
    table.add_column("on", no_wrap=True)
    table.add_column("last run", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("items/new/errors", justify="right", no_wrap=True)
    table.add_column("last success", overflow="fold")
    table.add_column("note", overflow="fold")
    for row in rows:
        kind = f"{row.kind}+render" if row.render else row.kind
        counts = "/".join(
            _count(v) for v in (row.last_run_items, row.last_run_new, row.last_run_errors)
        )
        table.add_row(
            f"[bold]{escape(row.name)}[/]\n[dim]{escape(row.start_url)}[/]",
            kind,
            "yes" if row.enabled else "no",
            _local(row.last_run_started_at, now),
            row.last_run_status or "-",
            counts if row.last_run_id is not None else "-",
            _local(row.last_success_at, now),
            f"silent: {row.silent_reason}" if row.silent else "",
            style="red" if row.silent else ("dim" if not row.enabled else None),
        )
    return table


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


__all__ = ["SILENT_AFTER", "PlatformStatus", "list_platforms", "validate"]
