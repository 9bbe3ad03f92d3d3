"""``clues orchestration validate [FILE]`` and ``clues orchestration pools``:
the settings of the Airflow DAGs (``config/orchestration.yaml``), checked and
turned into Airflow's pools file, without importing Airflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from clue_pipeline import settings
from clue_pipeline.cli.app import app
from clue_pipeline.cli.output import console
from clue_pipeline.errors import ConfigError

orchestration_app = typer.Typer(
    help="Settings of the Airflow DAGs (config/orchestration.yaml).", no_args_is_help=True
)
app.add_typer(orchestration_app, name="orchestration")


def _load(path: Path | None):  # noqa: ANN202
    from clue_pipeline.orchestration_config import load_orchestration_config

    path = path if path is not None else settings.orchestration_file()
    if not path.exists():
        raise ConfigError(
            f"{path}: file not found; hint: copy config/orchestration.yaml of the checkout "
            "or set CLUES_ORCHESTRATION"
        )
    return path, load_orchestration_config(path)


@orchestration_app.command("validate")
def validate(
    file: Annotated[
        Path | None, typer.Argument(help="Orchestration file; default: CLUES_ORCHESTRATION.")
    ] = None,
) -> None:
    """Check the orchestration file: schedules, retries, pools."""
    path, config = _load(file)

    def when(schedule: str | None) -> str:
        return schedule if schedule is not None else "manual only"

    pools = ", ".join(f"{p.name} {p.slots}" for p in (config.pools.crawl, config.pools.process))
    console.print(
        f"{path}: OK (nightly: {when(config.nightly.schedule)}; supervision: "
        f"{when(config.supervision.schedule)}; weekly review: "
        f"{when(config.weekly_review.schedule)}; time zone {config.timezone}; pools: {pools})",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@orchestration_app.command("pools")
def pools(
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Orchestration file; default: CLUES_ORCHESTRATION."),
    ] = None,
) -> None:
    """Print the Airflow pools as JSON, for `airflow pools import FILE`."""
    _, config = _load(config_file)
    typer.echo(json.dumps(config.airflow_pools(), indent=2, ensure_ascii=False))
