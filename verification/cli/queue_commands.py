"""``clues queue list``."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.output import console
from verification.cli.common import DATABASE_URL, JSON, print_json, read

queue_app = typer.Typer(help="The clue queue.", no_args_is_help=True)


@queue_app.command("list")
def queue_list(
    state: str = typer.Option(
        None,
        "--state",
        help="pending, claimed, verified, rejected, filed, or all (default: "
        "the work to do: pending, claimed, verified).",
    ),
    category: str = typer.Option(None, "--category", help="Only this category."),
    district: str = typer.Option(None, "--district", help="Only this district."),
    urgent: bool = typer.Option(False, "--urgent", help="Only urgent clues."),
    limit: int = typer.Option(None, "--limit", min=1, help="At most this many clues."),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """The queue: urgent first, then by priority; who holds each clue."""
    from verification.queue import list_queue

    rows = read(
        database_url,
        lambda s: list_queue(
            s, state=state, category=category, district=district, urgent=urgent, limit=limit
        ),
    )
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"clue queue ({len(rows)})")
    for column in ("id", "state", "claimed by", "urgency", "priority", "category", "item"):
        table.add_column(column)
    table.add_column("department")
    table.add_column("district")
    table.add_column("posts", justify="right")
    table.add_column("title", overflow="fold", max_width=40)
    for row in rows:
        posts = f"{row['post_count']} / {row['platform_count']} platforms"
        if row["suggested"]:
            posts += f", {row['suggested']} suggested"
        table.add_row(
            str(row["id"]),
            row["state"] + (f" → order {row['order_id']}" if row["order_id"] else ""),
            Text(row["claimed_by"] or "-"),
            row["urgency"],
            f"{row['priority']:.1f}",
            Text(row["category"] or "-"),
            Text(row["item"] or "-"),
            Text(row["department"] or "-"),
            Text(row["district"] or "-"),
            posts,
            Text(row["title"] or ""),  # scraped text: never read as markup
            style="bold red" if row["urgent"] else None,
        )
    console.print(table)
