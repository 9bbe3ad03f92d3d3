"""`clues` run as a user runs it: a child process of this Python, its output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLUES = "from clue_pipeline.cli import main; main()"


def run_clues(
    *args: str, env: dict[str, str], cwd: Path = ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``clues ARGS`` with exactly the environment ``env``, run in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-c", CLUES, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
