"""``clues orders list|show|dispatch|progress|resolve|close|reopen|return|note|export``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from clue_pipeline.cli.output import console, error_console, say
from clue_pipeline.storage.models import WorkOrder
from verification.cli.common import (
    BY,
    DATABASE_URL,
    JSON,
    act,
    actor_name,
    engine_for,
    print_json,
    read,
    short,
    when,
)

orders_app = typer.Typer(help="Work orders: dispatch, follow, close; export.", no_args_is_help=True)


def order_line(order: WorkOrder) -> str:
    from clue_pipeline.storage.types import utcnow
    from verification.sla import overdue
    from verification.timefmt import local

    line = f"order {order.id}: {order.state}, {order.department}"
    if order.state in ("filed", "reopened"):
        line += f"; dispatch due {local(order.dispatch_due_at)}"
    elif order.state in ("dispatched", "in_progress"):
        line += f"; handling due {local(order.handle_due_at)}"
    missed = overdue(order, utcnow())
    if missed:
        line += f"; {missed.describe()}"
    if order.escalation_level:
        line += f"; escalation level {order.escalation_level}"
    return line


@orders_app.command("list")
def list_orders(
    state: str = typer.Option(None, "--state", help="Only orders in this state."),
    department: str = typer.Option(None, "--department", help="Only this department."),
    overdue: bool = typer.Option(False, "--overdue", help="Only orders past a due time."),
    limit: int = typer.Option(None, "--limit", min=1, help="At most this many."),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """Orders: overdue first, then urgent."""
    from verification.orders import list_orders as query
    from verification.views import order_summary

    def run(session: Session) -> list[dict]:
        from clue_pipeline.storage.types import utcnow

        moment = utcnow()
        found = query(
            session, state=state, department=department, overdue=overdue, limit=limit, now=moment
        )
        return [order_summary(o, moment) for o in found]

    rows = read(database_url, run)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"orders ({len(rows)})")
    for column in ("id", "clue", "state", "tier", "item", "department", "due", "overdue"):
        table.add_column(column, overflow="fold")
    table.add_column("esc", justify="right")
    table.add_column("returns", justify="right")
    table.add_column("recurred", justify="right")
    table.add_column("title", overflow="fold", max_width=36)
    for row in rows:
        due = (
            row["dispatch_due_at"]
            if row["state"] in ("filed", "reopened")
            else row["handle_due_at"]
        )
        table.add_row(
            str(row["id"]),
            str(row["clue_id"]),
            row["state"],
            row["dispatch_tier"],
            Text(f"{row['item_code']} {row['item']}"),
            Text(row["department"]),
            due if row["state"] not in ("resolved", "closed") else "-",
            row["overdue"] or "-",
            str(row["escalation_level"]),
            str(row["return_count"]),
            str(row["recurrence_count"]),
            Text(short(row["title"], 60)),
            style="bold red" if row["overdue"] else None,
        )
    console.print(table)


@orders_app.command("show")
def show(
    order_id: int = typer.Argument(..., help="Order id."),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """The order: routing, due times, evidence, notes, return visits, history."""
    from verification.orders import get_order
    from verification.views import order_view

    view = read(database_url, lambda s: order_view(s, get_order(s, order_id)))
    if as_json:
        print_json(view)
        return
    lines = [
        f"order {view['id']} (clue {view['clue_id']}): {view['state']}, {view['dispatch_tier']}",
        f"title: {view['title']}",
        f"item: {view['item_code']} {view['item']}   department: {view['department']}"
        + (
            f" (first: {view['first_department']})"
            if view["first_department"] != view["department"]
            else ""
        ),
        f"filed {when(view['filed_at'])} by {view['filed_by']}; "
        f"dispatch due {when(view['dispatch_due_at'])}; "
        f"handling due {when(view['handle_due_at'])} ({view['deadline_days']} days)",
        f"dispatched {when(view['dispatched_at'])}; resolved {when(view['resolved_at'])}; "
        f"closed {when(view['closed_at'])}",
        f"overdue: {view['overdue'] or 'no'}; escalation level {view['escalation_level']}"
        + (f" ({view['escalation_reason']})" if view["escalation_level"] else "")
        + f"; returned {view['return_count']}×; recurred {view['recurrence_count']}×",
    ]
    if view["resolution"]:
        lines.append(f"resolution: {view['resolution']}")
    for visit in view["return_visits"]:
        verdict = "satisfied" if visit["satisfied"] else "not satisfied"
        lines.append(
            f"return visit {when(visit['at'])} by {visit['by']}: {verdict} {visit['note']}"
        )
    for line in lines:
        say(line)
    evidence = Table(title=f"evidence ({len(view['evidence'])} posts at filing)")
    for column in ("post", "platform", "published", "text", "link"):
        evidence.add_column(column, overflow="fold")
    for post in view["evidence"]:
        evidence.add_row(
            str(post["post_id"]),
            Text(post["platform"]),
            when(post["published_at"]),
            Text(short(((post["title"] or "") + " " + (post["text"] or "")).strip(), 80)),
            Text(post["url"]),
        )
    console.print(evidence)
    if view["recurrences"]:
        say(
            "recurred with posts: "
            + ", ".join(f"{r['post_id']} (episode {r['episode']})" for r in view["recurrences"])
        )
    notes = Table(title="notes (督办, progress, escalation, recurrence, returns)")
    for column in ("at", "kind", "by", "text"):
        notes.add_column(column, overflow="fold")
    for note in view["notes"]:
        notes.add_row(when(note["at"]), note["kind"], Text(note["by"]), Text(note["text"]))
    console.print(notes)
    history = Table(title="history")
    for column in ("at", "by", "action", "from", "to", "note"):
        history.add_column(column, overflow="fold")
    for event in view["history"]:
        history.add_row(
            when(event["at"]),
            Text(event["by"]),
            event["action"],
            event["from"] or "-",
            event["to"] or "-",
            Text(event["note"] or ""),
        )
    console.print(history)


@orders_app.command("dispatch")
def dispatch(
    order_id: int = typer.Argument(..., help="Order id."),
    department: str = typer.Option(None, "--department", help="Route to this department."),
    note: str = typer.Option("", "--note", help="Note for the audit trail."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Send a filed (or reopened) order to its department."""
    from verification.orders import dispatch as run

    say(
        act(
            database_url,
            lambda s: order_line(
                run(s, order_id, by=actor_name(by), department=department, note=note)
            ),
        )
    )


@orders_app.command("progress")
def progress(
    order_id: int = typer.Argument(..., help="Order id."),
    note: str = typer.Option(..., "--note", help="What the department reports."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """The department is working on it."""
    from verification.orders import progress as run

    say(act(database_url, lambda s: order_line(run(s, order_id, by=actor_name(by), note=note))))


@orders_app.command("resolve")
def resolve(
    order_id: int = typer.Argument(..., help="Order id."),
    note: str = typer.Option(..., "--note", help="What was done."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """The department reports the problem solved."""
    from verification.orders import resolve as run

    say(act(database_url, lambda s: order_line(run(s, order_id, by=actor_name(by), note=note))))


@orders_app.command("close")
def close(
    order_id: int = typer.Argument(..., help="Order id."),
    satisfied: bool = typer.Option(
        ..., "--satisfied/--unsatisfied", help="The return visit's result (回访)."
    ),
    note: str = typer.Option("", "--note", help="What the resident said."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Close a resolved order with the return visit."""
    from verification.orders import close as run

    def go(session: Session) -> str:
        order = run(session, order_id, by=actor_name(by), satisfied=satisfied, note=note)
        line = order_line(order)
        if not satisfied:
            line += f"; resident not satisfied: reopen with clues orders reopen {order.id}"
        return line

    say(act(database_url, go))


@orders_app.command("reopen")
def reopen(
    order_id: int = typer.Argument(..., help="Order id."),
    reason: str = typer.Option(..., "--reason", help="Why it is not done."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Reopen a resolved or closed order; it is dispatched again."""
    from verification.orders import reopen as run

    say(act(database_url, lambda s: order_line(run(s, order_id, by=actor_name(by), reason=reason))))


@orders_app.command("return")
def return_order(
    order_id: int = typer.Argument(..., help="Order id."),
    reason: str = typer.Option(..., "--reason", help="Why the department sends it back."),
    to: str = typer.Option(None, "--to", help="Re-route at once to this department."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """The department sends the order back as wrongly routed (退单); counted."""
    from verification.orders import return_order as run

    say(
        act(
            database_url,
            lambda s: order_line(
                run(s, order_id, by=actor_name(by), reason=reason, to_department=to)
            ),
        )
    )


@orders_app.command("note")
def note(
    order_id: int = typer.Argument(..., help="Order id."),
    text: str = typer.Option(..., "--text", help="The supervision note (督办)."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Add a supervision note (督办) to an order."""
    from verification.orders import get_order, supervise_note

    def go(session: Session) -> str:
        supervise_note(session, order_id, by=actor_name(by), text=text)
        return order_line(get_order(session, order_id)) + "; note added"

    say(act(database_url, go))


class ExportFormat(StrEnum):
    open311 = "open311"
    csv = "csv"


@orders_app.command("export")
def export(
    format_: ExportFormat = typer.Option(..., "--format", help="open311 (GeoReport v2) or csv."),
    out: Path = typer.Option(None, "--out", help="Write to this file (default: stdout)."),
    state: str = typer.Option(None, "--state", help="Only orders in this state."),
    database_url: str = DATABASE_URL,
) -> None:
    """Export orders; phone and ID numbers in post text are masked."""
    from verification.export import open311, orders_csv

    with engine_for(database_url) as engine:
        if format_ is ExportFormat.open311:
            data = open311(engine, state=state)
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            count = len(data["requests"])
        else:
            text = orders_csv(engine, state=state)
            count = text.count("\n") - 1
    if out is None:
        print(text, end="")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    encoding = "utf-8-sig" if format_ is ExportFormat.csv else "utf-8"  # Excel reads the BOM
    out.write_text(text, encoding=encoding)
    error_console.print(Text(f"wrote {count} orders ({format_.value}) to {out}"))
