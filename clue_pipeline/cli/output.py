"""Consoles shared by all commands, and `say` for a line of text that is never markup."""

from rich.console import Console
from rich.text import Text

console = Console()
error_console = Console(stderr=True)


def say(text: str) -> None:
    """One line of output; scraped or operator-supplied text inside (labels, paths, model
    names) is never read as markup."""
    console.print(Text(text), soft_wrap=True)
