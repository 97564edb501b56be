"""The web service (FastAPI) on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .._errors import ReliefplanError
from ._common import fail


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
    store: Optional[str] = typer.Option(
        None,
        "--store",
        help="database URL (postgresql://…, sqlite:///…) or a folder "
        "(SQLite inside); default: the per-user data folder, printed at start",
    ),
    data_dir: Optional[Path] = typer.Option(
        None,
        "--data-dir",
        help="folder for uploads and run outputs (default: the --store folder, or the per-user data folder)",
    ),
    token: Optional[str] = typer.Option(
        None, "--token", help="require this bearer token on every API call (default: env RELIEFPLAN_TOKEN; none = open)"
    ),
    workers: int = typer.Option(2, "--workers", min=1, help="plan runs at once"),
    allowed_host: Optional[list[str]] = typer.Option(
        None,
        "--allowed-host",
        help="a name clients reach this server "
        "by (Host header), repeatable; loopback names are always "
        "allowed, '*' allows any (only with a token)",
    ),
) -> None:
    """Serve the web app and API (OpenAPI at /docs) over a persistent run store."""
    from ..web import serve

    try:
        serve(host, port, store, token=token, data_dir=data_dir, workers=workers, allowed_hosts=allowed_host)
    except ReliefplanError as e:
        fail(e)
