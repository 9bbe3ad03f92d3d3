"""``clues supervise``, ``clues review weekly``, ``clues stats``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.output import console, say
from verification.cli.common import DATABASE_URL, JSON, engine_for, print_json, short

review_app = typer.Typer(help="Reviews of the work done.", no_args_is_help=True)


def supervise_command(
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """The hourly job: expired claims, recurrence, overdue orders, escalation."""
    from verification.supervision import supervise

    with engine_for(database_url) as engine:
        report = supervise(engine)
    if as_json:
        print_json(report.to_dict())
        return
    say(
        f"supervision at {report.now.isoformat(timespec='seconds')}: "
        f"{report.orders_checked} open orders checked, {report.changes} changes"
    )
    if report.claims_expired:
        say("claims expired, back in the queue: clues " + " ".join(map(str, report.claims_expired)))
    if report.dispatch_overdue:
        say("dispatch overdue: orders " + " ".join(map(str, report.dispatch_overdue)))
    if report.handle_overdue:
        say("handling overdue: orders " + " ".join(map(str, report.handle_overdue)))
    for item in report.escalated:
        say(f"escalated: order {item.order_id} to {item.to} (level {item.level}): {item.reason}")
    for item in report.recurred:
        say(
            f"recurred: order {item.order_id} (clue {item.clue_id}) reopened, "
            f"{len(item.posts)} new post(s) after resolution:"
        )
        for post in item.posts:
            when = post.published_at.isoformat(timespec="minutes") if post.published_at else "-"
            say(
                f"  post {post.post_id} [{post.membership}] {when} {post.url} "
                f"{short(post.text, 60)}"
            )


@review_app.command("weekly")
def weekly(
    days: int = typer.Option(None, "--days", min=1, help="Look back this many days (default 7)."),
    limit: int = typer.Option(None, "--limit", min=1, help="List at most this many orders."),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """每周一评: the orders most worth review, and the classes of problems behind them."""
    from verification.review import weekly_review

    with engine_for(database_url) as engine:
        review = weekly_review(engine, days=days, limit=limit)
    if as_json:
        print_json(review.to_dict())
        return
    table = Table(
        title=f"weekly review {review.since.date()} – {review.until.date()}: "
        f"{len(review.items)} orders"
    )
    for column in ("order", "state", "score", "item", "department", "why", "title"):
        table.add_column(column, overflow="fold")
    for item in review.items:
        table.add_row(
            str(item.order_id),
            item.state,
            f"{item.score:.1f}",
            Text(f"{item.item_code} {item.item}"),
            Text(item.department),
            "; ".join(item.reasons),
            Text(short(item.title, 50)),
        )
    console.print(table)
    classes = Table(title="classes of problems (类案) this period")
    for column in ("item", "category", "orders", "reports", "recurrences", "late", "returns"):
        classes.add_column(column)
    for case in review.classes:
        classes.add_row(
            Text(f"{case.item_code} {case.item}"),
            Text(case.category or "-"),
            str(case.orders),
            str(case.reports),
            str(case.recurrences),
            str(case.overdue),
            str(case.returns),
        )
    console.print(classes)


def stats_command(
    since: datetime = typer.Option(
        None, "--since", help="Only clues created and orders filed since (ISO date)."
    ),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """How the loop performs: clues, verification, orders, SLA, first dispatch, recurrence."""
    from verification.inputs import moment
    from verification.stats import compute_stats

    with engine_for(database_url) as engine:
        stats = compute_stats(engine, since=moment(since) if since else None)
    if as_json:
        print_json(stats.to_dict())
        return
    median = stats.median_minutes_first_post_to_filing
    rows = [
        ("clues found", str(stats.clues_found)),
        ("clues waiting (pending or claimed)", str(stats.clues_pending)),
        ("clues decided (verified / rejected)", f"{stats.clues_verified} / {stats.clues_rejected}"),
        ("verified rate", str(stats.verified_rate)),
        ("orders filed", str(stats.orders_filed)),
        ("orders open / overdue now", f"{stats.orders_open} / {stats.orders_overdue_now}"),
        (
            "median first post → filing",
            "-" if median is None else f"{median / 60:.1f} h ({median:.0f} min)",
        ),
        ("dispatch SLA compliance", str(stats.dispatch_sla)),
        ("handling SLA compliance", str(stats.handling_sla)),
        ("first-dispatch success", str(stats.first_dispatch_success)),
        ("returned by departments (退单)", str(stats.returns)),
        ("recurrences (orders)", f"{stats.recurrences} ({stats.orders_recurred})"),
        ("satisfied at return visit", str(stats.satisfaction)),
    ]
    table = Table(title="workflow figures" + (f" since {since.date()}" if since else ""))
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


report_app = typer.Typer(help="Reports with charts.", no_args_is_help=True)


@report_app.command("weekly")
def report_weekly(
    out: Path = typer.Option(
        None, "--out", help="Folder to write into (default: CLUES_REPORTS/weekly-DATE)."
    ),
    weeks: int = typer.Option(8, "--weeks", min=2, max=52, help="Weeks to cover."),
    database_url: str = DATABASE_URL,
) -> None:
    """类案周报: recurring classes (category × district × week), fastest-rising
    classes, most repeated problems with their orders; HTML + JSON + SVG charts."""
    from clue_pipeline import settings
    from clue_pipeline.storage.types import utcnow
    from verification.reports.weekly_files import write_weekly_report

    now = utcnow()
    folder = out or settings.reports_dir() / f"weekly-{now:%Y-%m-%d}"
    with engine_for(database_url) as engine:
        written = write_weekly_report(engine, folder, now=now, weeks=weeks)
    say(f"weekly class-case report written to {written.folder}:")
    for path in (written.html, written.json, *written.charts):
        say(f"  {path}")
