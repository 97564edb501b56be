"""Web app: plan from the browser, keep every run (FastAPI over reliefplan.store)."""

from __future__ import annotations

from pathlib import Path

from .app import create_app

__all__ = ["create_app", "serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, store: str | None = None, *, token: str | None = None,
          data_dir: Path | None = None, workers: int = 2) -> None:
    """Run the app under uvicorn until stopped (Ctrl-C)."""
    import sys

    import uvicorn

    from ..store import safe_url

    app = create_app(store, data_dir=data_dir, token=token, workers=workers)
    st = app.state.store
    auth = "token required" if app.state.auth else "no token (anyone who can reach the port can use it)"
    print(f"reliefplan: store {safe_url(st.url)}, data {st.data_dir}; {auth}; page at http://{host}:{port}/",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info")
