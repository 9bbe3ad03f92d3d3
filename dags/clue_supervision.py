"""Hourly supervision of clue-pipeline: SLA checks, escalation and recurrence
of filed orders (`verification.supervision.supervise`, the same job as
`clues supervise`). Idempotent: a second run in the same hour changes nothing
the first did not. Evaluated at the time it runs, not at its scheduled time,
so a late run checks deadlines against the real clock.

Schedule and retries: `supervision` in `config/orchestration.yaml`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import clues_common
from airflow.sdk import dag, task

clues_common.ensure_home()
CONFIG = clues_common.load_config()
SUPERVISION = CONFIG.supervision
log = logging.getLogger("clue_pipeline.dags.supervision")


@dag(
    dag_id="clue_supervision",
    schedule=clues_common.timetable(SUPERVISION.schedule, CONFIG.timezone),
    start_date=clues_common.start_date(CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=clues_common.default_args(SUPERVISION),
    tags=clues_common.TAGS,
    doc_md=__doc__,
)
def clue_supervision() -> None:
    @task(execution_timeout=timedelta(minutes=SUPERVISION.timeout_minutes))
    def supervise() -> dict:
        from clue_pipeline.storage.db import make_engine
        from verification.supervision import supervise as run_supervision

        engine = make_engine(clues_common.database_url(CONFIG.database_connection))
        try:
            report = run_supervision(engine)
        finally:
            engine.dispose()
        figures = clues_common.plain(report)
        log.info("supervision: %s", figures)
        return figures

    supervise()


clue_supervision()
