"""Consoles shared by all commands."""

from rich.console import Console

console = Console()
error_console = Console(stderr=True)
