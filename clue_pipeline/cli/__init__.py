"""The ``clues`` command line. Core commands live here; packages above
clue_pipeline (crawlers, verification) add theirs through the entry-point
group ``clues.cli``, so the dependency direction holds."""

from __future__ import annotations

import sys

from clue_pipeline.cli.app import app, load_plugins
from clue_pipeline.errors import ClueError


def main() -> None:
    """Console entry point: user errors become one red line and exit code 2."""
    load_plugins()
    try:
        code = app(standalone_mode=False)
    except ClueError as exc:
        from rich.markup import escape

        from clue_pipeline.cli.output import error_console

        error_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click's usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


__all__ = ["app", "main"]
