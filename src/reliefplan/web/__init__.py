"""Web app: plan from the browser, keep every run (FastAPI over reliefplan.store).

A face: may import everything below it (store, outputs, analysis, pipeline, ...), never the CLI."""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import ReliefplanError
from .app import create_app
from .guard import LOOPBACK_HOSTS

__all__ = ["create_app", "serve", "host_names"]

WILDCARD = ("0.0.0.0", "::", "")


def host_names(host: str, allowed: list[str] | None, token: str | None) -> list[str]:
    """The Host header names a server listening on `host` answers to: loopback, the address itself and the
    --allowed-host names. Open mode on every interface needs the names given (else any web page could reach it
    through DNS rebinding); with a token, any name is accepted unless names are given."""
    names = list(LOOPBACK_HOSTS) + [h for h in (allowed or []) if h]
    if host not in WILDCARD:
        names.append(host)
    elif not allowed:
        if not token:
            raise ReliefplanError(
                f"--host {host or '*'} without a token serves every interface to anyone: give "
                "--allowed-host NAME for each name clients use (or --token)"
            )
        names.append("*")
    if "*" in names and not token:
        raise ReliefplanError("--allowed-host '*' needs a token (--token or RELIEFPLAN_TOKEN)")
    return list(dict.fromkeys(names))  # each once: 127.0.0.1 is both loopback and the default --host


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    store: str | None = None,
    *,
    token: str | None = None,
    data_dir: Path | None = None,
    workers: int = 2,
    allowed_hosts: list[str] | None = None,
) -> None:
    """Run the app under uvicorn until stopped (Ctrl-C)."""
    import sys

    import uvicorn

    from ..store import safe_url

    token = os.environ.get("RELIEFPLAN_TOKEN") if token is None else token
    names = host_names(host, allowed_hosts, token or None)
    app = create_app(store, data_dir=data_dir, token=token or "", workers=workers, allowed_hosts=names)
    st = app.state.store
    auth = "token required" if app.state.auth else "no token (anyone who can reach the port can use it)"
    print(
        f"reliefplan: store {safe_url(st.url)}, data folder {st.data_dir}; {auth}; answers to Host "
        f"{', '.join(names)}; page at http://{host}:{port}/",
        file=sys.stderr,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
