"""``clues process`` and ``clues index rebuild``. (``clues queue list`` is the
verification package's: it shows claims and orders too.)"""

from __future__ import annotations

import json
from typing import Any

import typer

from clue_pipeline import settings
from clue_pipeline.cli.app import app
from clue_pipeline.cli.output import console, progress_bar, say
from clue_pipeline.storage.clues import clue_summaries  # noqa: F401 - clues demo imports it here

index_app = typer.Typer(
    help="The vector index (a cache beside the database).", no_args_is_help=True
)
app.add_typer(index_app, name="index")


def _engine(database_url: str | None):  # noqa: ANN202
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import require_schema

    return make_engine(require_schema(database_url))


def processing_context():  # noqa: ANN201 - ProcessingContext
    """The processing settings, loaded and validated now (the rest loads when first used)."""
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext

    return ProcessingContext.load(load_processing_config())


def checked_processing_context():  # noqa: ANN201 - ProcessingContext
    """The processing settings and the files processing reads besides the embedder (the
    catalogue, the urgency rules, the gazetteer, a trained classifier), loaded and validated
    now: before a crawl, so that a broken one is said at once and not after it."""
    context = processing_context()
    context.check_files()
    return context


def process_with_progress(engine, *, limit: int | None = None, quiet: bool = False, context=None):  # noqa: ANN001, ANN201
    """Run processing with a progress bar; returns the ProcessReport. ``context``: what
    processing reads, loaded (default: from the processing file, when needed)."""
    from clue_pipeline.processing.runner import process_pending

    with progress_bar("processing posts", quiet) as progress:
        return process_pending(engine, context=context, limit=limit, progress=progress)


def report_line(report) -> str:  # noqa: ANN001
    joined = report.joined_exact + report.joined_auto
    routed = (
        f"; {report.routed_examples} posts analysts routed by hand read as item examples"
        if report.routed_examples
        else ""
    )
    return (
        f"processed {report.posts} posts in {report.seconds:.1f}s: {report.relevant} relevant, "
        f"{report.noise} noise; {report.new_clues} new clues, {joined} joined, "
        f"{report.suggested} suggested duplicates, {report.urgent_posts} urgent posts{routed}"
    )


def report_dict(report) -> dict[str, Any]:  # noqa: ANN001
    return report.__dict__ | {"seconds": round(report.seconds, 3)}


@app.command("process")
def process(
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
    limit: int = typer.Option(None, "--limit", help="Process at most this many posts."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    relocate: bool = typer.Option(
        False,
        "--relocate",
        help="First locate every processed post again (after a gazetteer change or upgrade) "
        "and refresh the clues whose places changed.",
    ),
) -> None:
    """Process every stored post not yet processed into the clue queue."""
    context = processing_context()  # a wrong processing file is said before the database
    engine = _engine(database_url)
    relocated = (
        relocate_with_progress(engine, quiet=as_json, config=context.config) if relocate else None
    )
    report = process_with_progress(engine, limit=limit, quiet=as_json, context=context)
    engine.dispose()
    if as_json:
        out = report_dict(report)
        if relocated is not None:
            out["relocated"] = relocated.__dict__
        print(json.dumps(out, ensure_ascii=False))
        return
    if relocated is not None:
        console.print(relocated.line())
    console.print(report_line(report))


def relocate_with_progress(engine, *, quiet: bool = False, config=None):  # noqa: ANN001, ANN201
    """Locate every processed post again, with a progress bar; returns the RelocateReport.
    ``config``: the processing settings (default: loaded from the processing file)."""
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.relocate import relocate_posts

    with progress_bar("locating posts again", quiet) as progress:
        return relocate_posts(engine, config=config or load_processing_config(), progress=progress)


@index_app.command("rebuild")
def index_rebuild(
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Rebuild the FAISS index from the database."""
    from clue_pipeline.errors import ClueError
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.runner import index_path, other_processing_file, rebuild_index

    engine = _engine(database_url)
    try:
        saved = other_processing_file(engine)
        context = ProcessingContext.load(load_processing_config())
        try:
            index = rebuild_index(engine, context)
        except ClueError as exc:
            if saved is None:
                raise
            raise ClueError(
                f"{exc}; this database's index was built with {saved}: hint: set "
                f"CLUES_PROCESSING={saved}"
            ) from exc
        path = index_path(engine)
    finally:
        engine.dispose()
    if saved is not None:
        say(f"note: the index was built with {saved} before; now with {settings.processing_file()}")
    kind = "HNSW (approximate)" if index.approximate else "exact"
    say(f"index rebuilt: {len(index)} vectors, {kind}, at {path}")
