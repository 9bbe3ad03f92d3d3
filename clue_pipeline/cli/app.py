"""The typer application and its command groups."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import typer

app = typer.Typer(
    name="clues",
    help="Find public-service problems in public posts and carry them to resolution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
platforms_app = typer.Typer(help="Platform sources: validate, list, check.", no_args_is_help=True)
db_app = typer.Typer(help="The clue database.", no_args_is_help=True)
app.add_typer(platforms_app, name="platforms")
app.add_typer(db_app, name="db")


@dataclass(frozen=True)
class CliRegistry:
    """What a plugin gets to add its commands to."""

    app: typer.Typer
    platforms: typer.Typer
    db: typer.Typer
    # called by `clues demo` once the demo data is processed, with the demo
    # database URL, whether to serve, the port asked for (0: a free one) and the
    # variables of the city files it took from this checkout (``NAME=value`` words, for
    # the commands it prints); the verification package serves its web UI from here
    demo_finish: list[Callable[[str, bool, int, str], None]] = field(default_factory=list)


registry = CliRegistry(app=app, platforms=platforms_app, db=db_app)
_loaded = False


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def load_plugins() -> None:
    """Import the core command modules and every ``clues.cli`` plugin once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from clue_pipeline.cli import (  # noqa: F401
        db_commands,
        import_commands,
        model_commands,
        orchestration_commands,
        platform_commands,
        process_commands,
    )

    for entry in entry_points(group="clues.cli"):
        entry.load()(registry)
