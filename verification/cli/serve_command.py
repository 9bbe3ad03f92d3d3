"""``clues serve``: the analysts' web UI and API."""

from __future__ import annotations

import typer

from clue_pipeline.cli.output import console
from verification.cli.common import DATABASE_URL


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port; 0: a free one."),
    forwarded_allow_ips: str = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Behind a reverse proxy: the proxy addresses whose X-Forwarded-For/-Proto are "
        "trusted (comma-separated), e.g. 127.0.0.1.",
    ),
    database_url: str = DATABASE_URL,
) -> None:
    """Serve the web UI and API (log in with an account of `clues users add`)."""
    from sqlalchemy import func, select

    from clue_pipeline.storage.models import User
    from verification.cli.common import read
    from verification.web.app import create_app
    from verification.web.city_files import check_city_files

    check_city_files()  # a missing catalogue is said now, not by a failing page
    app = create_app(database_url)
    if not read(database_url, lambda s: s.scalar(select(func.count()).select_from(User))):
        console.print(
            "[yellow]no users yet: add one with[/] clues users add NAME --role admin",
            highlight=False,
        )
    serve(app, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips)


def serve(app, *, host: str, port: int, forwarded_allow_ips: str | None = None) -> None:  # noqa: ANN001
    """Run ``app`` with uvicorn until interrupted; prints the address."""
    import socket

    import uvicorn

    if port == 0:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"serving the web UI at [bold]http://{shown}:{port}/[/] (Ctrl-C stops)", highlight=False
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()
