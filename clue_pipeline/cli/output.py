"""Consoles shared by all commands, `say` for a line of text that is never markup, and a
transient progress bar."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

console = Console()
error_console = Console(stderr=True)


def say(text: str) -> None:
    """One line of output; scraped or operator-supplied text inside (labels, paths, model
    names) is never read as markup."""
    console.print(Text(text), soft_wrap=True)


@contextmanager
def progress_bar(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar; yields the ``progress(done, total)`` callback that moves it."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
