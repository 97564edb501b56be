"""What every request to the web service passes first: a known Host (against DNS rebinding), no cross-site
writes, the token where one is set, and the size limit (also while a body streams in)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response

from .models import _error
from .uploads import Limits

PUBLIC_PATHS = ("/", "/favicon.ico")  # the page itself holds no data; it sends the token with every API call
PUBLIC_PREFIXES = ("/static/",)  # Swagger UI's assets, shipped with the package (no data)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _host_name(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


class BodyLimit:
    """Refuse a request body larger than `max_bytes` while it streams in (chunked uploads have no
    Content-Length to check first): once over, the app is told the client left and 413 is answered."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0
        over = False
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if over:
                return  # the app's answer to the disconnect is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _error(413, f"request larger than {self.max_bytes:,} bytes")(scope, receive, send)


def _guard_requests(app: FastAPI, hosts: set[str], token: str | None, limits: Limits) -> None:
    """Every request: a known Host, no cross-site writes, the token where one is set, the size limit."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = (request.url.hostname or "").lower()
        if "*" not in hosts and host not in hosts:
            return _error(
                400,
                f"unknown Host '{host}'; this server answers to {sorted(hosts)} "
                "(reliefplan serve --allowed-host NAME adds one)",
            )
        if request.method not in SAFE_METHODS:  # a web page elsewhere must not drive this server
            origin = request.headers.get("origin")
            if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
                return _error(403, f"cross-site request from {origin} refused")
            if request.headers.get("sec-fetch-site") == "cross-site":
                return _error(403, "cross-site request refused")
        path = request.url.path
        if token is not None and path not in PUBLIC_PATHS and not path.startswith(PUBLIC_PREFIXES):
            got = request.headers.get("authorization", "")
            given = got[7:] if got.lower().startswith("bearer ") else request.headers.get("x-reliefplan-token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, "missing or wrong token", **{"WWW-Authenticate": "Bearer"})
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limits.max_zip_bytes + 1024 * 1024:
            return _error(413, f"request larger than {limits.max_zip_bytes:,} bytes")
        return await call_next(request)
