"""Consoles shared by all commands, `say` for a line of text that is never markup, and how
long work shows progress: a transient bar or spinner on a terminal; where the output is no
terminal (cron, a log file, a pipe), lines on standard error (standard output stays what the
command prints, e.g. its JSON)."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

console = Console()
error_console = Console(stderr=True)
#: off a terminal, a progress line at most this often
PROGRESS_LINE_SECONDS = 10.0


def say(text: str) -> None:
    """One line of output; scraped or operator-supplied text inside (labels, paths, model
    names) is never read as markup."""
    console.print(Text(text), soft_wrap=True)


def _note(text: str) -> None:
    error_console.print(Text(text), soft_wrap=True)


@contextmanager
def progress_bar(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar; yields the ``progress(done, total)`` callback that moves it.
    Off a terminal: a line ``description: done of total`` every ``PROGRESS_LINE_SECONDS``
    (none for work done sooner), and one at the end when any came before."""
    if quiet:
        yield lambda done, total: None
        return
    if not console.is_terminal:
        started = last = time.monotonic()
        latest: tuple[int, int] | None = None
        shown: tuple[int, int] | None = None

        def show(done: int, total: int) -> None:
            nonlocal shown
            _note(f"{description}: {done} of {total} ({time.monotonic() - started:.0f} s)")
            shown = (done, total)

        def line(done: int, total: int) -> None:
            nonlocal last, latest
            latest = (done, total)
            if time.monotonic() - last >= PROGRESS_LINE_SECONDS:
                show(done, total)
                last = time.monotonic()

        yield line
        if shown is not None and latest is not None and latest != shown:
            show(*latest)
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def work_status(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the step now under way; yields ``update(step)``. Off a terminal each
    step is a line on standard error with the seconds since the start."""
    if not console.is_terminal:
        started = time.monotonic()
        _note(f"{description} ...")
        yield lambda step: _note(f"{step} ({time.monotonic() - started:.0f} s)")
        return
    with console.status(description) as status:
        yield lambda step: status.update(step)
