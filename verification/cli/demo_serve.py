"""The end of ``clues demo``: demo accounts (an analyst, a supervisor and an
admin, with fresh random passwords printed once) and the web UI over the
demo database on a free port of 127.0.0.1, until Ctrl-C."""

from __future__ import annotations

import secrets

from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.output import console

DEMO_ACCOUNTS = (
    ("demo_analyst", "analyst"),
    ("demo_supervisor", "supervisor"),
    ("demo_admin", "admin"),
)
DEMO_ACTOR = "demo"


def demo_accounts(database_url: str) -> list[tuple[str, str, str]]:
    """The demo users, made or given new passwords: (name, role, password)."""
    from verification.accounts import users
    from verification.cli.common import act

    made = []
    for name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)

        def ensure(session, name=name, role=role, password=password) -> None:  # noqa: ANN001
            if users.find_user(session, name) is None:
                users.add_user(session, name, role=role, password=password, by=DEMO_ACTOR)
            else:
                users.set_role(session, name, role, by=DEMO_ACTOR)
                users.set_password(session, name, password, by=DEMO_ACTOR)
                users.set_active(session, name, True, by=DEMO_ACTOR)

        act(database_url, ensure)
        made.append((name, role, password))
    return made


def finish_demo(database_url: str, serve_ui: bool, port: int, environment: str = "") -> None:
    """Serve the web UI over the demo database, or (not ``serve_ui``) print the commands
    that do; ``environment``: the city files' variables the pages need too (``NAME=value``
    words, empty when the project home has its own)."""
    if not serve_ui:
        words = f"{environment} " if environment else ""
        console.print(
            f"the web UI over this data: {words}CLUES_DATABASE_URL={database_url} clues serve "
            f"(first an account: CLUES_DATABASE_URL={database_url} clues users add NAME "
            "--role analyst)",
            highlight=False,
            soft_wrap=True,
        )
        return
    from verification.cli.serve_command import serve
    from verification.web.app import create_app

    accounts = demo_accounts(database_url)
    app = create_app(database_url)
    table = Table(title="demo accounts of the web UI", title_justify="left")
    for column in ("role", "user", "password"):
        table.add_column(column)
    for name, role, password in accounts:
        table.add_row(role, Text(name), Text(password))
    console.print(table)
    serve(app, host="127.0.0.1", port=port)
