"""The C2SP tlog-tiles read routes: every log the node holds under `/tlog/<agency>/`
(docs/protocol.md §13), the same bytes `node serve --publish` writes as files.

Tiles and bundles never change once they exist, so they may be cached for
good; the checkpoint only for a few seconds. Entry bundles are gzipped for a
client that accepts it, as the spec asks (full ones compressed once, `bundle_cache`).
"""

from __future__ import annotations

import re
from functools import partial

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from citychain.errors import RequestError
from citychain.log import tiles
from citychain.net.bundle_cache import BundleCache, compress
from citychain.node.tiled import TiledLog, read_tile, tiled_log

CHECKPOINT_CACHE = "public, max-age=5"
TILE_CACHE = "public, max-age=31536000, immutable"
TILE_TYPE = "application/octet-stream"


class TileRoute(Route):
    """A route whose `{tile}` spans several path segments (`0/x001/234.p/7`),
    while its path stays a plain OpenAPI template."""

    def __init__(self, path: str, endpoint) -> None:
        super().__init__(path, endpoint)
        self.path_regex = re.compile(self.path_regex.pattern.replace("(?P<tile>[^/]+)", "(?P<tile>.+)"))


def _no_tile(what: str) -> RequestError:
    return RequestError(f"没有这个瓦片：{what}", f"no such tile: {what}", 404, "NO_TILE")


def routes(service) -> list[Route]:
    from citychain.net.api import handler  # api imports this module to list the routes

    bundles = BundleCache()

    def log_or_404(agency: str) -> TiledLog:
        tiled = tiled_log(service.readers.store(), agency)
        if tiled is None:
            raise RequestError(
                f"本节点没有 {agency} 的已签名日志", f"this node holds no signed log of {agency!r}", 404, "NO_LOG"
            )
        return tiled

    @handler
    def checkpoint(request: Request) -> Response:
        tiled = log_or_404(request.path_params["agency"])
        return PlainTextResponse(tiled.checkpoint, headers={"Cache-Control": CHECKPOINT_CACHE})

    @handler
    def tile(request: Request) -> Response:
        tiled = log_or_404(request.path_params["agency"])
        text = "tile/" + request.path_params["tile"]
        try:
            wanted = tiles.parse_path(text)
            gzipped = wanted.is_entries and "gzip" in request.headers.get("accept-encoding", "")
            read = partial(read_tile, service.readers.store(), tiled, wanted)
            if gzipped and wanted.full and tiles.exists_in(wanted, tiled.size):
                body = bundles.gzipped((tiled.origin, wanted.index), read)  # immutable: compressed once
            else:
                body = compress(read()) if gzipped else read()
        except (tiles.TileError, LookupError):
            raise _no_tile(text[:80]) from None
        headers = {"Cache-Control": TILE_CACHE}
        if wanted.is_entries:
            headers["Vary"] = "Accept-Encoding"
            if gzipped:
                headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=TILE_TYPE, headers=headers)

    return [Route("/tlog/{agency}/checkpoint", checkpoint), TileRoute("/tlog/{agency}/tile/{tile}", tile)]
