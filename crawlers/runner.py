"""Crawl many platforms, each in its own process, so that one platform's
crash never stops the others (and a Twisted reactor is never restarted)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from clue_pipeline import settings as clue_settings
from crawlers.crawl_one import MESSAGE_PREFIX
from crawlers.result import FAILED, PlatformResult

STDERR_TAIL = 2000
log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]


def _child_command(
    platforms_file: Path,
    name: str,
    *,
    database_url: str | None,
    since: datetime | None,
    check: bool = False,
    settings_overrides: dict[str, Any] | None = None,
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "crawlers.crawl_one",
        "--platforms-file",
        str(platforms_file),
        "--name",
        name,
    ]
    if database_url:
        command += ["--database-url", database_url]
    if since is not None:
        command += ["--since", since.isoformat()]
    if check:
        command.append("--check")
    if settings_overrides:
        command += ["--settings", json.dumps(settings_overrides)]
    return command


def run_child(
    command: list[str], on_message: Callable[[dict[str, Any]], None] | None = None
) -> tuple[int, list[dict[str, Any]], str, int]:
    """Run a crawl process; its exit code, its ``@@clues`` messages, the tail of
    its standard error and its pid.

    When the caller is interrupted meanwhile (Airflow's task timeout and
    SIGTERM raise inside this loop, so does Ctrl-C), the child is killed rather
    than left crawling on its own, and the interruption is re-raised with the
    killed process's pid as ``crawl_pid``."""
    messages: list[dict[str, Any]] = []
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if not line.startswith(MESSAGE_PREFIX):
                    continue
                try:
                    message = json.loads(line[len(MESSAGE_PREFIX) :])
                except ValueError:
                    continue
                messages.append(message)
                if on_message is not None:
                    on_message(message)
            code = process.wait()
        except BaseException as exc:
            process.kill()
            process.wait()
            exc.crawl_pid = process.pid  # type: ignore[attr-defined]
            raise
        stderr.seek(0)
        tail = stderr.read()[-STDERR_TAIL:].decode("utf-8", "replace")
    return code, messages, tail, process.pid


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def record_crash(
    database_url: str, platform: str, pid: int, message: str, seconds: float
) -> PlatformResult:
    """Close the crashed process's crawl_runs row as failed (or write one)."""
    from sqlalchemy import select

    from clue_pipeline.storage.crawl_runs import RunTotals, finish_run, start_run
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import CrawlRun

    sample = {"kind": "crashed", "url": None, "message": message}
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            run = session.scalars(
                select(CrawlRun)
                .where(
                    CrawlRun.platform == platform,
                    CrawlRun.status == "running",
                    CrawlRun.pid == pid,
                )
                .order_by(CrawlRun.id.desc())
            ).first()
            if run is None:
                run = start_run(session, platform, pid=pid)
            totals = RunTotals(
                pages=run.pages or 0,
                items=run.items or 0,
                new_items=run.new_items or 0,
                errors=(run.errors or 0) + 1,
                stop_reason="crashed",
            )
            samples = [sample, *(run.error_samples or [])]
            finish_run(session, run.id, totals, samples, failed=True)
            run_id = run.id
    finally:
        engine.dispose()
    return PlatformResult(
        platform=platform,
        run_id=run_id,
        status=FAILED,
        errors=totals.errors,
        error_samples=samples,
        seconds=round(seconds, 3),
        stop_reason="crashed",
    )


def crawl_platform_process(
    platforms_file: Path,
    name: str,
    *,
    database_url: str,
    since: datetime | None = None,
    settings_overrides: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
) -> PlatformResult:
    """Crawl one platform in a child process; a crash becomes a failed run."""
    started = time.monotonic()

    def on_message(message: dict[str, Any]) -> None:
        if on_progress is not None and message.get("event") == "progress":
            on_progress(name, int(message["pages"]), int(message["items"]))

    command = _child_command(
        platforms_file,
        name,
        database_url=database_url,
        since=since,
        settings_overrides=settings_overrides,
    )
    try:
        code, messages, stderr_tail, pid = run_child(command, on_message)
    except BaseException as exc:
        # Close the killed process's run now rather than leave it 'running'
        # until the platform's next crawl marks it aborted.
        killed = getattr(exc, "crawl_pid", None)
        if killed is not None:
            why = f"crawl process killed: {exc.__class__.__name__}: {exc}".rstrip(": ")
            try:
                record_crash(database_url, name, killed, why, time.monotonic() - started)
            except Exception as record_error:  # noqa: BLE001 - the interruption is what matters
                log.warning("could not record the killed crawl of %s: %s", name, record_error)
        raise
    results = [m for m in messages if m.get("event") == "result"]
    if code == 0 and results:
        return PlatformResult.from_dict(results[-1]["result"])
    why = f"crawl process exited with code {code}: {_last_line(stderr_tail)}"
    return record_crash(database_url, name, pid, why, time.monotonic() - started)


def crawl_platforms(
    platforms_file: Path,
    names: Sequence[str] | None = None,
    *,
    database_url: str | None = None,
    since: datetime | None = None,
    max_parallel: int = 2,
    on_result: Callable[[PlatformResult], None] | None = None,
    on_progress: ProgressCallback | None = None,
    settings_overrides: dict[str, Any] | None = None,
) -> list[PlatformResult]:
    """Crawl ``names`` (default: every enabled platform), each in its own process,
    at most ``max_parallel`` at once; results in the order of ``names``."""
    from clue_pipeline.errors import ConfigError
    from clue_pipeline.platforms.loader import load_platforms

    platforms_file = Path(platforms_file)
    config = load_platforms(platforms_file)
    known = [p.name for p in config.platforms]
    if names:
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"{platforms_file}: no platform named '{unknown[0]}'; "
                f"expected one of: {', '.join(known)}"
            )
        selected = list(dict.fromkeys(names))
    else:
        selected = [p.name for p in config.enabled()]
    url = database_url or clue_settings.database_url()

    def one(name: str) -> PlatformResult:
        result = crawl_platform_process(
            platforms_file,
            name,
            database_url=url,
            since=since,
            settings_overrides=settings_overrides,
            on_progress=on_progress,
        )
        if on_result is not None:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as pool:
        return list(pool.map(one, selected))


def check_platform_process(
    platforms_file: Path, name: str, *, settings_overrides: dict[str, Any] | None = None
) -> tuple[PlatformResult, list[dict[str, Any]]]:
    """``clues platforms check``: the first page through the spider in a child
    process, storing nothing."""
    command = _child_command(
        Path(platforms_file),
        name,
        database_url=None,
        since=None,
        check=True,
        settings_overrides=settings_overrides,
    )
    code, messages, stderr_tail, _ = run_child(command)
    checks = [m for m in messages if m.get("event") == "check"]
    if code != 0 or not checks:
        from clue_pipeline.errors import ClueError

        raise ClueError(
            f"checking platform '{name}' failed: process exited with code {code}: "
            f"{_last_line(stderr_tail)}"
        )
    return PlatformResult.from_dict(checks[-1]["result"]), checks[-1]["posts"]
