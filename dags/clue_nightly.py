"""Nightly run of clue-pipeline: refill the clue queue.

1. `platforms` / `browser_platforms`: read the platforms file
   (`CLUES_PLATFORMS`) at run time: every enabled platform, or the ones named
   in the run's `platforms` parameter; those with `render: true` apart.
2. `crawl` / `crawl_browser`: one mapped task per platform, each crawl in its
   own process, with retries and exponential backoff. Every crawl, failed or
   not, writes a `crawl_runs` row. `render: true` platforms (a Chromium each)
   take more slots of the crawl pool and run fewer at once.
3. `process`: runs when every crawl is done, whatever its outcome, on what was
   crawled (every post not yet processed).
4. `summary`: logs per platform items, new and errors, clues new and merged,
   urgent clues; fails the run (after the log) when a platform failed.

Schedule, retries and pools: `config/orchestration.yaml`. Re-running a night
duplicates nothing: posts are upserted, processing skips processed posts, and
the summary counts only this run's results.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import clues_common
from airflow.sdk import Param, TriggerRule, dag, get_current_context, task

clues_common.ensure_home()
CONFIG = clues_common.load_config()
NIGHTLY = CONFIG.nightly
RESULT_KEY = "crawl_result"
CRAWL_TASKS = ("crawl", "crawl_browser")
log = logging.getLogger("clue_pipeline.dags.nightly")


@dag(
    dag_id="clue_nightly",
    schedule=clues_common.timetable(NIGHTLY.schedule, CONFIG.timezone),
    start_date=clues_common.start_date(CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=clues_common.default_args(NIGHTLY),
    params={
        "platforms": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Platforms to crawl; empty: every enabled platform.",
        )
    },
    tags=clues_common.TAGS,
    doc_md=__doc__,
)
def clue_nightly() -> None:
    @task(retries=0)
    def platforms(browser: bool) -> list[str]:
        from clue_pipeline import settings
        from clue_pipeline.storage.migrate import require_schema
        from crawlers.nightly import plan_crawl

        require_schema(clues_common.database_url(CONFIG.database_connection))
        names = get_current_context()["params"].get("platforms") or None
        crawl_plan = plan_crawl(settings.platforms_file(), names)
        selected = crawl_plan.browser if browser else crawl_plan.plain
        kind = "with a browser (render: true)" if browser else "without a browser"
        log.info("%d platforms to crawl %s: %s", len(selected), kind, ", ".join(selected) or "-")
        return selected

    @task(
        pool=CONFIG.pools.crawl.name,
        execution_timeout=timedelta(minutes=NIGHTLY.crawl_timeout_minutes),
        map_index_template="{{ platform_name }}",
    )
    def crawl(platform: str) -> None:
        from airflow.sdk.exceptions import AirflowException

        from clue_pipeline import settings
        from crawlers.nightly import crawl_platform

        context = get_current_context()
        context["platform_name"] = platform  # type: ignore[typeddict-unknown-key]
        result = crawl_platform(
            settings.platforms_file(),
            platform,
            database_url=clues_common.database_url(CONFIG.database_connection),
            logger=log,
        )
        # Pushed before a failure is raised: the summary reports the failed try too.
        context["ti"].xcom_push(key=RESULT_KEY, value=result.to_dict())
        if result.failed:
            raise AirflowException(result.failure_line())

    plain = platforms.override(task_id="platforms")(browser=False)
    browser = platforms.override(task_id="browser_platforms")(browser=True)
    crawl_plain = crawl.override(task_id="crawl").expand(platform=plain)
    crawl_browser = crawl.override(
        task_id="crawl_browser",
        pool_slots=NIGHTLY.browser_slots,
        max_active_tis_per_dagrun=NIGHTLY.browser_parallel,
    ).expand(platform=browser)

    @task(
        trigger_rule=TriggerRule.ALL_DONE,
        pool=CONFIG.pools.process.name,
        execution_timeout=timedelta(minutes=NIGHTLY.process_timeout_minutes),
    )
    def process() -> dict:
        from crawlers.nightly import process_crawled

        return process_crawled(clues_common.database_url(CONFIG.database_connection), logger=log)

    @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def summary() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from crawlers.nightly import build_summary

        ti = get_current_context()["ti"]
        plain_names = ti.xcom_pull(task_ids="platforms")
        browser_names = ti.xcom_pull(task_ids="browser_platforms")
        results = ti.xcom_pull(task_ids=list(CRAWL_TASKS), key=RESULT_KEY) or []
        processing = ti.xcom_pull(task_ids="process")
        figures = build_summary([*(plain_names or []), *(browser_names or [])], results, processing)
        for line in figures.lines():
            log.info("%s", line)
        problems = []
        if plain_names is None or browser_names is None:
            problems.append("the platforms could not be read (see the platforms tasks' logs)")
        if figures.failed:
            problems.append(f"platforms failed: {', '.join(figures.failed)}")
        if not figures.processed:
            problems.append("processing did not finish (see the process task's log)")
        if problems:
            raise AirflowFailException(
                f"nightly run incomplete: {'; '.join(problems)}; everything else ran"
            )
        return figures.to_dict()

    process_ = process()
    [crawl_plain, crawl_browser] >> process_ >> summary()


clue_nightly()
