"""``clues process``, ``clues queue list``, ``clues index rebuild``."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.app import app
from clue_pipeline.cli.output import console

queue_app = typer.Typer(help="The clue queue.", no_args_is_help=True)
index_app = typer.Typer(
    help="The vector index (a cache beside the database).", no_args_is_help=True
)
app.add_typer(queue_app, name="queue")
app.add_typer(index_app, name="index")


def _engine(database_url: str | None):  # noqa: ANN202
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import require_schema

    return make_engine(require_schema(database_url))


def process_with_progress(engine, *, limit: int | None = None, quiet: bool = False):  # noqa: ANN001, ANN201
    """Run processing with a progress bar; returns the ProcessReport."""
    from clue_pipeline.processing.runner import process_pending

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("processing posts", total=None)
        return process_pending(
            engine,
            limit=limit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def report_line(report) -> str:  # noqa: ANN001
    joined = report.joined_exact + report.joined_auto
    return (
        f"processed {report.posts} posts in {report.seconds:.1f}s: {report.relevant} relevant, "
        f"{report.noise} noise; {report.new_clues} new clues, {joined} joined, "
        f"{report.suggested} suggested duplicates, {report.urgent_posts} urgent posts"
    )


def report_dict(report) -> dict[str, Any]:  # noqa: ANN001
    return report.__dict__ | {"seconds": round(report.seconds, 3)}


@app.command("process")
def process(
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
    limit: int = typer.Option(None, "--limit", help="Process at most this many posts."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Process every stored post not yet processed into the clue queue."""
    engine = _engine(database_url)
    report = process_with_progress(engine, limit=limit, quiet=as_json)
    engine.dispose()
    if as_json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
        return
    console.print(report_line(report))


def clue_summaries(session, *, state=None, category=None, district=None, urgent=False, limit=None):  # noqa: ANN001, ANN201
    """Clues of the queue, urgent first then by priority, with their posts."""
    from sqlalchemy import select

    from clue_pipeline.storage.models import Clue, CluePost, Post

    query = select(Clue).where(Clue.merged_into_id.is_(None))
    if state:
        query = query.where(Clue.state == state)
    if category:
        query = query.where(Clue.category == category)
    if district:
        query = query.where(Clue.district == district)
    if urgent:
        query = query.where(Clue.urgent.is_(True))
    query = query.order_by(Clue.urgent.desc(), Clue.priority.desc(), Clue.id)
    if limit:
        query = query.limit(limit)
    clues = list(session.scalars(query))
    posts: dict[int, list[dict[str, Any]]] = {c.id: [] for c in clues}
    if clues:
        rows = session.execute(
            select(CluePost, Post)
            .join(Post, Post.id == CluePost.post_id)
            .where(CluePost.clue_id.in_(list(posts)))
            .order_by(CluePost.id)
        )
        for member, post in rows:
            posts[member.clue_id].append(
                {
                    "post_id": post.id,
                    "platform": post.platform,
                    "external_id": post.external_id,
                    "url": post.url,
                    "membership": member.membership,
                    "similarity": member.similarity,
                }
            )
    return [
        {
            "id": c.id,
            "state": c.state,
            "title": c.title,
            "category": c.category,
            "item": c.item_name,
            "item_code": c.item_code,
            "department": c.department,
            "urgency": "urgent" if c.urgent else "normal",
            "urgent": c.urgent,
            "dispatch_tier": c.dispatch_tier,
            "priority": c.priority,
            "district": c.district,
            "street": c.street,
            "post_count": c.post_count,
            "platform_count": c.platform_count,
            "first_post_at": c.first_post_at.isoformat() if c.first_post_at else None,
            "last_post_at": c.last_post_at.isoformat() if c.last_post_at else None,
            "why": c.why,
            "posts": posts[c.id],
        }
        for c in clues
    ]


@queue_app.command("list")
def queue_list(
    state: str = typer.Option(None, "--state", help="Only clues in this state."),
    category: str = typer.Option(None, "--category", help="Only this category."),
    district: str = typer.Option(None, "--district", help="Only this district."),
    urgent: bool = typer.Option(False, "--urgent", help="Only urgent clues."),
    limit: int = typer.Option(None, "--limit", help="At most this many clues."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """The queue: urgent first, then by priority."""
    from clue_pipeline.storage.db import session_scope

    engine = _engine(database_url)
    with session_scope(engine) as session:
        rows = clue_summaries(
            session, state=state, category=category, district=district, urgent=urgent, limit=limit
        )
    engine.dispose()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"clue queue ({len(rows)})")
    for column in ("id", "state", "urgency", "priority", "category", "item", "department"):
        table.add_column(column)
    table.add_column("district")
    table.add_column("posts", justify="right")
    table.add_column("title", overflow="fold", max_width=40)
    for row in rows:
        style = "bold red" if row["urgent"] else None
        table.add_row(
            str(row["id"]),
            row["state"],
            row["urgency"],
            f"{row['priority']:.1f}",
            row["category"] or "-",
            row["item"] or "-",
            row["department"] or "-",
            row["district"] or "-",
            f"{row['post_count']} / {row['platform_count']} platforms",
            Text(row["title"]),  # scraped text: never read as markup
            style=style,
        )
    console.print(table)


@index_app.command("rebuild")
def index_rebuild(
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Rebuild the FAISS index from the database."""
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.runner import index_path, rebuild_index

    engine = _engine(database_url)
    context = ProcessingContext.load(load_processing_config())
    index = rebuild_index(engine, context)
    path = index_path(engine)
    engine.dispose()
    kind = "HNSW (approximate)" if index.approximate else "exact"
    console.print(f"index rebuilt: {len(index)} vectors, {kind}, at {path}")
