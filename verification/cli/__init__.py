"""The workflow's commands, added to ``clues`` through the ``clues.cli``
entry point: ``queue list``, ``clue ...``, ``orders ...``, ``supervise``,
``review weekly``, ``stats``, ``report weekly``, ``users ...``, ``serve``."""

from __future__ import annotations

from typing import Any


def register(registry: Any) -> None:
    from verification.cli.clue_commands import clue_app
    from verification.cli.demo_serve import finish_demo
    from verification.cli.order_commands import orders_app
    from verification.cli.queue_commands import queue_app
    from verification.cli.report_commands import (
        report_app,
        review_app,
        stats_command,
        supervise_command,
    )
    from verification.cli.serve_command import serve_command
    from verification.cli.user_commands import users_app

    registry.app.add_typer(queue_app, name="queue")
    registry.app.add_typer(clue_app, name="clue")
    registry.app.add_typer(orders_app, name="orders")
    registry.app.add_typer(review_app, name="review")
    registry.app.command("supervise")(supervise_command)
    registry.app.command("stats")(stats_command)
    registry.app.add_typer(report_app, name="report")
    registry.app.add_typer(users_app, name="users")
    registry.app.command("serve")(serve_command)
    registry.demo_finish.append(finish_demo)
