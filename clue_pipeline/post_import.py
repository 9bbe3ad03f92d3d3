"""Posts from a file: an export of another system (a hotline's or a message board's history,
a monitoring vendor's dump) in JSON lines or CSV, stored as a crawl stores posts.

Each row becomes one post of the platform named for the import, upserted by its external id,
so importing a file again stores nothing twice (a row whose text changed is updated and
processed again), and an import cut short is finished by running it again. The file's columns
are mapped to the post's fields by name (``FIELD=COLUMN``; by default each field reads the
column of its own name, and ``external_id`` also ``id``). The whole row is kept as the post's
``raw`` provenance. A row that cannot be stored (no id, no text, a time or count that cannot
be read, a line that is no JSON object) is refused with its line number and the reason, and
counted; the other rows are stored. Each import writes a ``crawl_runs`` row (its counts, its
status and the first refusals)."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from clue_pipeline.errors import ClueError
from clue_pipeline.labelled_data import json_objects
from clue_pipeline.platforms.models import NAME_PATTERN
from clue_pipeline.post_values import as_count, as_time, as_urls
from clue_pipeline.storage.crawl_runs import RunTotals, abort_stale_runs, finish_run, start_run
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.posts import COUNT_FIELDS, POST_FIELDS, upsert_posts
from clue_pipeline.storage.types import utcnow

FIELDS = ("external_id", *POST_FIELDS)
#: columns read for a field when the mapping names none (the first present wins)
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    name: (name, "id") if name == "external_id" else (name,) for name in FIELDS
}
FORMATS = ("jsonl", "csv")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
BATCH_ROWS = 2000
MAX_SAMPLES = 20
STOP_REASON = "import"


@dataclass
class ImportReport:
    """What one import did: rows read, posts stored (new, updated, unchanged), rows that
    repeat an earlier row's id (the last one stays stored) and refused rows with
    ``(line, reason)`` samples (the first ``MAX_SAMPLES``)."""

    platform: str
    file: Path
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    repeated: int = 0
    samples: list[tuple[int, str]] = field(default_factory=list)
    run_id: int | None = None

    def refuse(self, line: int, reason: str) -> None:
        self.refused += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append((line, reason))


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` words as a field -> column mapping; a wrong word is one error line."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ClueError(f"--map {pair!r}: expected FIELD=COLUMN; hint: e.g. --map text=detail")
        if name not in FIELDS:
            raise ClueError(
                f"--map {pair!r}: {name!r} is no post field; expected one of {', '.join(FIELDS)}"
            )
        mapping[name] = column
    return mapping


def file_format(path: Path, given: str | None) -> str:
    """``given`` when set, else the format the file's suffix names."""
    if given is not None:
        if given not in FORMATS:
            raise ClueError(f"--format {given!r}: expected one of {', '.join(FORMATS)}")
        return given
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ClueError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            "hint: give --format jsonl or --format csv"
        )
    return found


def import_posts(
    engine: Engine,
    path: Path,
    platform: str,
    *,
    file_format_name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    timezone: str = "Asia/Shanghai",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Store the rows of ``path`` as posts of ``platform``; ``progress(done, total)`` is
    called with rows read after each batch."""
    if not re.fullmatch(NAME_PATTERN, platform):
        raise ClueError(
            f"platform {platform!r}: expected lower-case letters, digits and _ "
            "(a letter first, at most 64); hint: e.g. --platform hotline_2024"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClueError(
            f"--timezone {timezone!r}: no such time zone; hint: e.g. Asia/Shanghai"
        ) from None
    kind = file_format(path, file_format_name)
    columns = _columns(mapping or {})
    total = _count_lines(path)
    rows = _read_rows(path, kind, columns)
    report = ImportReport(platform=platform, file=path)
    now = utcnow()
    with session_scope(engine) as session:
        abort_stale_runs(session, platform)
        report.run_id = start_run(session, platform, pid=os.getpid()).id
    batch: list[dict[str, Any]] = []
    batches = 0
    seen: set[str] = set()
    try:
        for line, row in rows:
            report.rows += 1
            item = _item(row, columns, now, timezone) if isinstance(row, dict) else row
            if isinstance(item, str):
                report.refuse(line, item)
                continue
            if item["external_id"] in seen:
                report.repeated += 1  # the file's last row of an id is what stays stored
            seen.add(item["external_id"])
            batch.append(item)
            if len(batch) >= BATCH_ROWS:
                _store(engine, platform, batch, report)
                batches += 1
                batch = []
                if progress is not None:
                    progress(report.rows, total)
        if batch:
            _store(engine, platform, batch, report)
            batches += 1
    except BaseException as exc:
        _finish(engine, report, batches, failed=True, reason=f"import stopped: {exc!r}")
        raise
    _finish(engine, report, batches)
    if progress is not None:
        progress(total, total)
    return report


def _columns(mapping: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {name: (mapping[name],) if name in mapping else DEFAULT_COLUMNS[name] for name in FIELDS}


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as lines:
            return sum(1 for line in lines if line.strip())
    except OSError as exc:
        raise ClueError(f"{path}: cannot read ({exc.strerror})") from None


def _read_rows(
    path: Path, kind: str, columns: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row or the reason it cannot be read) of each record; a file that
    cannot be read as ``kind`` at all is one error now, before anything is stored."""
    if kind == "csv":
        return _csv_rows(path, columns)
    return _jsonl_rows(path)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    lines = path.open(encoding="utf-8-sig", errors="replace")
    first = next((line for line in lines if line.strip()), "")
    lines.seek(0)
    if first.lstrip().startswith("["):
        lines.close()
        raise ClueError(
            f"{path}: a JSON array, not JSON lines (one object per line); hint: "
            f"jq -c '.[]' {path.name} > {path.stem}.jsonl"
        )
    return _json_records(lines)


def _json_records(lines: Any) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with lines:
        yield from json_objects(lines)


def _csv_rows(
    path: Path, columns: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    lines = path.open(encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    for name in ("external_id", "text"):
        if not any(c in header for c in columns[name]) and not (
            name == "text" and any(c in header for c in columns["title"])
        ):
            lines.close()
            wanted = " or ".join(repr(c) for c in columns[name])
            raise ClueError(
                f"{path}: no column {wanted} for the post's {name} (the header has "
                f"{', '.join(repr(h) for h in header[:12]) or 'no columns'}); "
                f"hint: --map {name}=COLUMN"
            )
    return _csv_records(lines, reader)


def _csv_records(lines: Any, reader: csv.DictReader) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with lines:
        start = reader.line_num + 1
        for row in reader:
            if None in row:  # more cells than the header has
                yield start, f"{len(row[None])} more cell(s) than the header has"
            else:
                yield start, {k: v for k, v in row.items() if k is not None}
            start = reader.line_num + 1


class _Refused(Exception):
    """Why one row cannot be stored."""


def _value(row: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    """(column, value) of the first of ``names`` in ``row`` with a value (None: none has)."""
    for name in names:
        value = row.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return name, value
    return names[0], None


def _text(row: Mapping[str, Any], names: tuple[str, ...], what: str) -> str | None:
    """The stripped text of the first of ``names`` with a value (a number reads as text:
    ids and titles can be numbers)."""
    column, value = _value(row, names)
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        raise _Refused(f"{what} is no text (column {column!r})")
    return str(value).strip()


def _item(
    row: Mapping[str, Any], columns: Mapping[str, tuple[str, ...]], now: datetime, tz: str
) -> dict[str, Any] | str:
    """The post of one row, or the reason it cannot be stored."""
    try:
        return _post_of(row, columns, now, tz)
    except _Refused as refused:
        return str(refused)


def _post_of(
    row: Mapping[str, Any], columns: Mapping[str, tuple[str, ...]], now: datetime, tz: str
) -> dict[str, Any]:
    external_id = _text(row, columns["external_id"], "the external id")
    if not external_id:
        raise _Refused(
            f"no external id (column {columns['external_id'][0]!r}); hint: --map external_id=COLUMN"
        )
    if len(external_id) > 255:
        raise _Refused("the external id is longer than 255 characters")
    text = _text(row, columns["text"], "the text")
    title = _text(row, columns["title"], "the title")
    if not text and not title:
        raise _Refused(f"no text (column {columns['text'][0]!r}); hint: --map text=COLUMN")
    author = _text(row, columns["author"], "the author")
    item: dict[str, Any] = {
        "external_id": external_id,
        "text": text or "",
        "title": title or None,
        "url": _text(row, columns["url"], "the url") or "",
        "author": author[:255] if author else None,
        "location_text": _text(row, columns["location_text"], "the location") or None,
        "raw": dict(row),
    }
    column, published = _value(row, columns["published_at"])
    if published is not None:
        when = as_time(published, now=now, tz=tz)
        if when is None:
            raise _Refused(
                f"{column} {str(published)[:40]!r} is no time it can read; hint: e.g. "
                "2024-05-01 10:00 or 2024-05-01T10:00:00+08:00"
            )
        item["published_at"] = when
    for name in COUNT_FIELDS:
        column, value = _value(row, columns[name])
        if value is not None:
            count = as_count(value)  # 1.2万, 1,234 (a label without digits is no count)
            if count is None or count < 0 or not re.search(r"\d", str(value)):
                raise _Refused(f"{column} {str(value)[:40]!r} is no count")
            item[name] = count
    column, media = _value(row, columns["media_urls"])
    if media is not None:
        if isinstance(media, str):
            media = media.split()
        if not isinstance(media, list):
            raise _Refused(
                f"{column}: expected a list of addresses, or addresses separated by spaces"
            )
        item["media_urls"] = as_urls(media, "")
    return item


def _store(
    engine: Engine, platform: str, batch: list[dict[str, Any]], report: ImportReport
) -> None:
    with session_scope(engine) as session:
        counts = upsert_posts(session, platform, batch, crawl_run_id=report.run_id)
    report.new += counts.new
    report.updated += counts.updated
    report.unchanged += counts.unchanged


def _finish(
    engine: Engine, report: ImportReport, batches: int, *, failed: bool = False, reason: str = ""
) -> None:
    samples = [
        {"kind": "import", "url": None, "message": f"{report.file.name} line {line}: {why}"}
        for line, why in report.samples
    ]
    if reason:
        samples.insert(0, {"kind": "import", "url": None, "message": reason[:500]})
    totals = RunTotals(
        pages=batches,
        items=report.new + report.updated + report.unchanged,
        new_items=report.new,
        updated_items=report.updated,
        errors=report.refused + (1 if failed else 0),
        stop_reason=STOP_REASON,
    )
    with session_scope(engine) as session:
        finish_run(session, report.run_id, totals, samples, failed=failed)
