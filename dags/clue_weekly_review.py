"""Weekly review of clue-pipeline (每周一评), two independent tasks:

- `review_list`: the week's review list (`verification.review.weekly_review`),
  logged and kept as the task's result;
- `class_case_report`: the class-case report (类案周报, what `clues report
  weekly` writes: HTML, JSON and SVG charts of the recurring classes of
  problems) into `CLUES_REPORTS/weekly-DATE` (default `var/reports/`).

The week reviewed is the one before the run's logical date, so re-running a
week's run reviews the same week (and rewrites the same report folder).

Schedule and retries: `weekly_review` in `config/orchestration.yaml`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import clues_common
from airflow.sdk import dag, get_current_context, task

clues_common.ensure_home()
CONFIG = clues_common.load_config()
WEEKLY = CONFIG.weekly_review
log = logging.getLogger("clue_pipeline.dags.weekly_review")


@dag(
    dag_id="clue_weekly_review",
    schedule=clues_common.timetable(WEEKLY.schedule, CONFIG.timezone),
    start_date=clues_common.start_date(CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=clues_common.default_args(WEEKLY),
    tags=clues_common.TAGS,
    doc_md=__doc__,
)
def clue_weekly_review() -> None:
    @task(execution_timeout=timedelta(minutes=WEEKLY.timeout_minutes))
    def review_list() -> object:
        from clue_pipeline.storage.db import make_engine
        from verification.review import weekly_review

        context = get_current_context()
        now = context.get("logical_date") or context["dag_run"].run_after
        engine = make_engine(clues_common.database_url(CONFIG.database_connection))
        try:
            review = weekly_review(engine, now=now)
        finally:
            engine.dispose()
        figures = clues_common.plain(review)
        entries = figures if isinstance(figures, list) else [figures]
        log.info("weekly review as of %s: %d entries", now.isoformat(), len(entries))
        for entry in entries:
            log.info("%s", entry)
        return figures

    @task(execution_timeout=timedelta(minutes=WEEKLY.timeout_minutes))
    def class_case_report() -> object:
        from clue_pipeline import settings
        from clue_pipeline.storage.db import make_engine
        from verification.reports.weekly_files import write_weekly_report

        context = get_current_context()
        now = context.get("logical_date") or context["dag_run"].run_after
        folder = settings.reports_dir() / f"weekly-{now:%Y-%m-%d}"
        engine = make_engine(clues_common.database_url(CONFIG.database_connection))
        try:
            written = write_weekly_report(engine, folder, now=now)
        finally:
            engine.dispose()
        log.info("class-case report as of %s written to %s", now.isoformat(), written.folder)
        return {"folder": str(written.folder), "html": str(written.html), "json": str(written.json)}

    review_list()
    class_case_report()


clue_weekly_review()
