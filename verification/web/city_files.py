"""The city files the web UI reads while it serves pages: the workflow settings (deadlines,
time zone), the catalogue (categories to filter by, items to correct a clue to) and the
gazetteer (districts to filter by). ``clues serve`` loads them before it listens, so a
missing catalogue or a broken file is one error line at the start, not a failing page
later."""

from __future__ import annotations

from clue_pipeline import settings


def check_city_files() -> None:
    """Load and validate each city file the pages read; raises ``ConfigError`` (one line
    naming the file) for the first that is missing or wrong. The workflow file and the
    gazetteer may be absent (the pages then use the default workflow and list no
    districts); the catalogue may not."""
    from clue_pipeline.catalog import load_catalog
    from clue_pipeline.locate import load_gazetteer
    from verification.config import load_workflow_config

    load_workflow_config()
    load_catalog(settings.catalog_file())
    gazetteer = settings.gazetteer_file()
    if gazetteer.is_file():
        load_gazetteer(gazetteer)
