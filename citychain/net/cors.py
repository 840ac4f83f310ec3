"""CORS for the open read routes: a web page or a phone's browser may read a
node's logs and tiles from any origin (docs/protocol.md §6, *Reading*).

Only GET and HEAD on the listed prefixes get `Access-Control-Allow-Origin: *`:
what they answer is public, and no credential goes with it. Write routes,
sign-in, the desks and the operators' pages (status, metrics) get nothing, so
a browser keeps other sites' pages from reading or driving them.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_PREFIXES = ("/tlog/", "/v1/logs", "/v1/tlog-policy", "/v1/tlog-list")
READ_METHODS = frozenset({"GET", "HEAD"})


def is_open_read(method: str, path: str, prefixes: Sequence[str] = READ_PREFIXES) -> bool:
    return method in READ_METHODS and any(path == p.rstrip("/") or path.startswith(p) for p in prefixes)


class ReadCors:
    """Adds `Access-Control-Allow-Origin: *` to the answers of open reads, refusals included."""

    def __init__(self, app: ASGIApp, prefixes: Sequence[str] = READ_PREFIXES) -> None:
        self.app, self.prefixes = app, tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_open_read(scope["method"], scope["path"], self.prefixes):
            return await self.app(scope, receive, send)

        async def send_open(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Access-Control-Allow-Origin"] = "*"
            await send(message)

        await self.app(scope, receive, send_open)
