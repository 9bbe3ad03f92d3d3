"""``clues users add|list|disable|enable|password|role|token``: the accounts
of the web UI and API."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.output import console, say
from clue_pipeline.errors import ClueError
from verification.cli.common import BY, DATABASE_URL, JSON, act, actor_name, print_json, read

users_app = typer.Typer(help="Users of the web UI and API: analysts, supervisors, admins.")

PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from standard input (one line)."
)


def read_password(from_stdin: bool) -> str:
    """The password from stdin (first line), or asked twice at the terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ClueError("no password on standard input; hint: echo 'PASSWORD' | clues ...")
        return password
    if not sys.stdin.isatty():
        raise ClueError("no terminal to ask for the password; hint: pass --password-stdin")
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("again", hide_input=True)
    if first != second:
        raise ClueError("the two passwords differ")
    return first


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name (also the name in the audit trail)."),
    role: str = typer.Option(..., "--role", help="analyst, supervisor or admin."),
    password_stdin: bool = PASSWORD_STDIN,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Add a user; the password is asked for (or read with --password-stdin)."""
    from verification.accounts.roles import require_role_name
    from verification.accounts.users import add_user, check_name

    check_name(name)
    require_role_name(role)
    password = read_password(password_stdin)
    user = act(
        database_url,
        lambda s: add_user(s, name, role=role, password=password, by=actor_name(by)),
    )
    say(f"user {user.name} added ({user.role})")


@users_app.command("list")
def list_users(as_json: bool = JSON, database_url: str = DATABASE_URL) -> None:
    """Every user with role, state and last login."""
    from verification.accounts.users import list_users as all_users
    from verification.accounts.users import user_view

    rows = read(database_url, lambda s: [user_view(u) for u in all_users(s)])
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} users")
    for column in ("name", "role", "active", "last login", "created"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            Text(row["name"]),
            row["role"],
            "yes" if row["active"] else "no",
            row["last_login_at"] or "-",
            row["created_at"] or "-",
            style=None if row["active"] else "dim",
        )
    console.print(table)


@users_app.command("disable")
def disable(name: str, by: str = BY, database_url: str = DATABASE_URL) -> None:
    """Disable a user: their sessions end and their API tokens are revoked."""
    from verification.accounts.users import set_active

    user = act(database_url, lambda s: set_active(s, name, False, by=actor_name(by)))
    say(f"user {user.name} disabled")


@users_app.command("enable")
def enable(name: str, by: str = BY, database_url: str = DATABASE_URL) -> None:
    """Enable a disabled user again."""
    from verification.accounts.users import set_active

    user = act(database_url, lambda s: set_active(s, name, True, by=actor_name(by)))
    say(f"user {user.name} enabled")


@users_app.command("password")
def password(
    name: str,
    password_stdin: bool = PASSWORD_STDIN,
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Set a new password; the user's sessions end."""
    from verification.accounts.users import set_password

    secret = read_password(password_stdin)
    user = act(database_url, lambda s: set_password(s, name, secret, by=actor_name(by)))
    say(f"password of {user.name} changed")


@users_app.command("role")
def role(
    name: str,
    new_role: str = typer.Argument(..., metavar="ROLE", help="analyst, supervisor or admin."),
    by: str = BY,
    database_url: str = DATABASE_URL,
) -> None:
    """Change a user's role."""
    from verification.accounts.users import set_role

    user = act(database_url, lambda s: set_role(s, name, new_role, by=actor_name(by)))
    say(f"user {user.name} is now {user.role}")


@users_app.command("token")
def token(
    name: str,
    label: str = typer.Option("cli", "--name", help="What the token is for."),
    database_url: str = DATABASE_URL,
) -> None:
    """Make a personal API token for the user and print it (shown only now)."""
    from verification.accounts.tokens import create_token
    from verification.accounts.users import get_user

    value = act(database_url, lambda s: create_token(s, get_user(s, name), label)[0])
    print(value)
