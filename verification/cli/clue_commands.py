"""``clues clue show|claim|release|verify|reject|reopen|confirm|split|merge|edit|file``."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from clue_pipeline.cli.output import console, error_console, say
from clue_pipeline.locate.elsewhere import region_shown
from clue_pipeline.storage.models import Clue
from verification.cli.common import (
    BY,
    DATABASE_URL,
    JSON,
    act,
    actor_name,
    print_json,
    read,
    short,
    when,
)

clue_app = typer.Typer(help="Work one clue: claim, verify or reject, merge, split, correct, file.")

NOTE = typer.Option("", "--note", help="Why (kept in the audit trail).")


def status_line(session: Session, clue: Clue) -> str:
    """``clue 12: claimed by alice until 2026-11-20 16:30`` and the like."""
    from verification.claims import live_claim
    from verification.orders import order_of_clue
    from verification.timefmt import local

    line = f"clue {clue.id}: {clue.state}"
    claim = live_claim(session, clue.id)
    if claim is not None:
        line += f" (claimed by {claim.analyst} until {local(claim.expires_at)})"
    if clue.state == "rejected" and clue.reject_reason:
        line += f" ({clue.reject_reason})"
    if clue.state == "merged":
        line += f" into clue {clue.merged_into_id}"
    order = order_of_clue(session, clue.id)
    if order is not None:
        line += f"; order {order.id} is {order.state}"
    return line


@clue_app.command("show")
def show(
    clue_id: int = typer.Argument(..., help="Clue id."),
    as_json: bool = JSON,
    database_url: str = DATABASE_URL,
) -> None:
    """The clue: state, claim, routing, place, posts and history."""
    from verification.views import clue_view, get_clue

    view = read(database_url, lambda s: clue_view(s, get_clue(s, clue_id)))
    if as_json:
        print_json(view)
        return
    claim = view["claim"]
    lines = [
        f"clue {view['id']}: {view['state']}, {view['urgency']}, priority {view['priority']:.1f}",
        f"title: {view['title']}",
        f"category: {view['category'] or '-'}   item: {view['item_code'] or '-'} "
        f"{view['item'] or ''}   department: {view['department'] or '-'}",
        "place: "
        + (
            " ".join(
                view[k] for k in ("district", "street", "road", "community", "landmark") if view[k]
            )
            or "-"
        )
        + (f"   elsewhere: {region_shown(view['region'])}" if view.get("region") else ""),
        f"posts: {view['post_count']} on {view['platform_count']} platforms, "
        f"first {when(view['first_post_at'])}, last {when(view['last_post_at'])}",
    ]
    if claim:
        state = "expired" if claim["expired"] else "until"
        lines.append(f"claim: {claim['analyst']} ({state} {when(claim['expires_at'])})")
    if view["merged_into"]:
        lines.append(f"merged into clue {view['merged_into']}")
    if view["reject_reason"]:
        lines.append(f"rejected: {view['reject_reason']} {view['reject_note'] or ''}".rstrip())
    if view["corrections"]:
        lines.append("corrected by analysts: " + ", ".join(sorted(view["corrections"])))
    if view["order_id"]:
        lines.append(f"order: {view['order_id']} (clues orders show {view['order_id']})")
    for line in lines:
        say(line)
    posts = Table(title="posts")
    for column in ("post", "membership", "similarity", "platform", "published", "text", "link"):
        posts.add_column(column, overflow="fold")
    for post in view["posts"]:
        posts.add_row(
            str(post["post_id"]),
            post["membership"],
            "-" if post["similarity"] is None else f"{post['similarity']:.2f}",
            Text(post["platform"]),
            when(post["published_at"]),
            Text(short(((post["title"] or "") + " " + (post["text"] or "")).strip(), 80)),
            Text(post["url"]),
        )
    console.print(posts)
    if view["suggested"]:
        ids = " ".join(str(i) for i in view["suggested"])
        say(
            f"suggested duplicates wait for a decision: clues clue confirm {view['id']} {ids}"
            f"  or  clues clue split {view['id']} POST_ID"
        )
    history = Table(title="history")
    for column in ("at", "by", "action", "from", "to", "note"):
        history.add_column(column, overflow="fold")
    for event in view["history"]:
        history.add_row(
            when(event["at"]),
            Text(event["by"]),
            event["action"] + (f" (order {event['order_id']})" if event["order_id"] else ""),
            event["from"] or "-",
            event["to"] or "-",
            Text(event["note"] or ""),
        )
    console.print(history)


@clue_app.command("claim")
def claim(
    clue_id: int = typer.Argument(None, help="Clue id (or --next)."),
    next_: bool = typer.Option(False, "--next", help="The first clue of the queue nobody holds."),
    category: str = typer.Option(None, "--category", help="With --next: only this category."),
    district: str = typer.Option(None, "--district", help="With --next: only this district."),
    urgent: bool = typer.Option(False, "--urgent", help="With --next: only urgent clues."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Claim a clue for a lease (config/workflow.yaml claims.lease_minutes)."""
    from verification import claims

    if (clue_id is None) == (not next_):
        raise typer.BadParameter("give a clue id or --next (not both)")

    def run(session: Session) -> str | None:
        if next_:
            result = claims.claim_next(
                session, by=actor_name(by), category=category, district=district, urgent=urgent
            )
        else:
            result = claims.claim(session, clue_id, by=actor_name(by))
        if result is None:
            return None
        line = status_line(session, result.clue)
        if result.taken_over_from:
            line += f"; taken over from {result.taken_over_from}, whose lease had ended"
        return line + f"; {short(result.clue.title, 50)}"

    line = act(database_url, run)
    if line is None:
        error_console.print("the queue is empty: no clue waits for an analyst")
        raise typer.Exit(1)
    say(line)


@clue_app.command("release")
def release(
    clue_id: int = typer.Argument(..., help="Clue id."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Give a claimed clue back to the queue."""
    from verification.claims import release as release_clue

    say(
        act(
            database_url,
            lambda s: status_line(s, release_clue(s, clue_id, by=actor_name(by), note=note)),
        )
    )


@clue_app.command("verify")
def verify(
    clue_id: int = typer.Argument(..., help="Clue id."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Confirm the clue describes a real public-service problem."""
    from verification.decisions import verify as verify_clue

    say(
        act(
            database_url,
            lambda s: status_line(s, verify_clue(s, clue_id, by=actor_name(by), note=note)),
        )
    )


@clue_app.command("reject")
def reject(
    clue_id: int = typer.Argument(..., help="Clue id."),
    reason: str = typer.Option(
        ...,
        "--reason",
        help="not_public_service, duplicate, cannot_verify, already_handled or other (+ --note).",
    ),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Reject the clue with a reason."""
    from verification.decisions import reject as reject_clue

    say(
        act(
            database_url,
            lambda s: status_line(
                s, reject_clue(s, clue_id, by=actor_name(by), reason=reason, note=note)
            ),
        )
    )


@clue_app.command("reopen")
def reopen(
    clue_id: int = typer.Argument(..., help="Clue id."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Put a rejected clue back into the queue."""
    from verification.decisions import reopen as reopen_clue

    say(
        act(
            database_url,
            lambda s: status_line(s, reopen_clue(s, clue_id, by=actor_name(by), note=note)),
        )
    )


@clue_app.command("confirm")
def confirm(
    clue_id: int = typer.Argument(..., help="Clue id."),
    posts: list[int] = typer.Argument(..., help="Suggested duplicate posts to confirm."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Confirm suggested duplicates: the posts describe this clue's problem."""
    from verification.membership import confirm_duplicates

    def run(session: Session) -> str:
        clue = confirm_duplicates(session, clue_id, posts, by=actor_name(by))
        return status_line(session, clue) + f"; confirmed posts {' '.join(map(str, posts))}"

    say(act(database_url, run))


@clue_app.command("split")
def split(
    clue_id: int = typer.Argument(..., help="Clue id."),
    posts: list[int] = typer.Argument(..., help="Posts to move into a new clue."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Move posts out into a new clue (also: reject a suggested duplicate)."""
    from verification.membership import split as split_clue

    def run(session: Session) -> str:
        new = split_clue(session, clue_id, posts, by=actor_name(by), note=note)
        source = session.get(Clue, clue_id)
        return (
            f"{status_line(session, source)}; posts {' '.join(map(str, posts))} "
            f"moved to new clue {new.id} ({new.state})"
        )

    say(act(database_url, run))


@clue_app.command("merge")
def merge(
    clue_id: int = typer.Argument(..., help="The clue to merge away."),
    into: int = typer.Option(..., "--into", help="The clue that absorbs it."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Merge a duplicate clue into another: its posts move over."""
    from verification.membership import merge as merge_clues

    def run(session: Session) -> str:
        survivor = merge_clues(session, clue_id, into, by=actor_name(by), note=note)
        merged = session.get(Clue, clue_id)
        return (
            f"{status_line(session, merged)}; {status_line(session, survivor)}, "
            f"{survivor.post_count} posts"
        )

    say(act(database_url, run))


@clue_app.command("edit")
def edit(
    clue_id: int = typer.Argument(..., help="Clue id."),
    category: str = typer.Option(None, "--category", help="Category name (catalogue)."),
    item: str = typer.Option(None, "--item", help="Catalogue item code, e.g. CX-02-04."),
    department: str = typer.Option(None, "--department", help="Department responsible."),
    district: str = typer.Option(None, "--district", help="District (gazetteer)."),
    street: str = typer.Option(None, "--street", help="Street (gazetteer, of the district)."),
    road: str = typer.Option(None, "--road", help="Road."),
    community: str = typer.Option(None, "--community", help="Community."),
    landmark: str = typer.Option(None, "--landmark", help="Landmark."),
    region: str = typer.Option(
        None,
        "--region",
        help="Another city and county the clue is about, e.g. K市/K6县; - for none.",
    ),
    urgent: bool = typer.Option(None, "--urgent/--not-urgent", help="Urgency tier."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Correct category, item, department, place or urgency; processing keeps it."""
    from verification.corrections import Correction
    from verification.corrections import edit as edit_clue

    change = Correction(
        category=category,
        item_code=item,
        department=department,
        district=district,
        street=street,
        road=road,
        community=community,
        landmark=landmark,
        region=region,
        urgent=urgent,
    )

    def run(session: Session) -> str:
        clue = edit_clue(session, clue_id, change, by=actor_name(by), note=note)
        place = " ".join(
            p for p in (clue.district, clue.street, clue.road, clue.community, clue.landmark) if p
        )
        if clue.region:
            place = f"{place} (elsewhere: {region_shown(clue.region)})".strip()
        return (
            f"{status_line(session, clue)}; {clue.category or '-'} / {clue.item_code or '-'} "
            f"{clue.item_name or ''} → {clue.department or '-'}; "
            f"{'urgent' if clue.urgent else 'normal'}; {place or 'no place'}"
        )

    say(act(database_url, run))


@clue_app.command("file")
def file(
    clue_id: int = typer.Argument(..., help="Clue id."),
    note: str = NOTE,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """File a verified clue as a work order, with due times by tier and item."""
    from verification.filing import file_clue
    from verification.timefmt import local

    def run(session: Session) -> str:
        order = file_clue(session, clue_id, by=actor_name(by), note=note)
        return (
            f"clue {clue_id}: filed as order {order.id} ({order.item_code} {order.item_name} → "
            f"{order.department}, {order.dispatch_tier}); dispatch due "
            f"{local(order.dispatch_due_at)}, handling due {local(order.handle_due_at)}"
        )

    say(act(database_url, run))
