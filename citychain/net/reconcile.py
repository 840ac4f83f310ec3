"""A serving node re-derives its derived tables from its logs at start-up,
and refuses what it cannot reconcile.

It trusts no marker kept beside the tables (whoever edits a table edits the
marker too). It re-derives rather than keeping a MAC over the rows under the
node's key: the key is sealed and absent from read-only opens, every writer
(append, sync, crash replay) would have to update the MAC inside its
transaction, and a MAC proves only that the node wrote the rows, not that
they follow from the log (a bug or a replay that skipped a table passes it).
The node replays its logs through the plug-ins' own rules into a scratch
database (`node.derived`, the code `log check` runs), in a thread of its own
so serving starts at once, and compares. While the tables differ, every
route that reads or writes through them answers 503 DERIVED_MISMATCH;
routes whose answers come from log records alone (`FromLog`, a
certificate's status) and the core's log routes still serve. `/v1/status`,
`/v1/health` and `/metrics` say what was found.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse
from starlette.routing import Match, Route

from citychain.errors import CityChainError
from citychain.node.derived import Rederived, rederive
from citychain.node.kinds import Plugin
from citychain.node.trust import TrustState

log = logging.getLogger("citychain.reconcile")

SHOWN = 20  # differences listed in /v1/status (all are counted)


class DerivedMismatch(CityChainError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "DERIVED_MISMATCH",
            "本节点的派生表与其账本不符（详见 /v1/status），核对一致之前拒绝此请求",
            "this node's derived tables differ from its logs (see /v1/status); it refuses this request until "
            "they are reconciled",
        )


class FromLog(Route):
    """A route whose answers are derived from log records, not from derived
    tables: it still serves while the tables differ from the log."""


class DerivedCheck:
    """The start-up re-derivation: `checking`, then `ok`, `differs` or `failed`."""

    def __init__(self, db_path: Path, plugins: Sequence[Plugin], trust: Callable[[], TrustState]) -> None:
        self._db_path, self._plugins, self._trust = Path(db_path), tuple(plugins), trust
        self.state = "checking"
        self.found: Rederived | None = None
        self.error = ""

    def start(self) -> None:
        threading.Thread(target=self.run, name="citychain-derived-check", daemon=True).start()

    def run(self) -> None:
        try:
            found = rederive(self._db_path, self._plugins, self._trust())
        except Exception as exc:  # noqa: BLE001 — a check that cannot run is reported, never silently passed
            self.error, self.state = f"{type(exc).__name__}: {exc}", "failed"
            log.error("derived tables check failed: %s", self.error)
            return
        self.found = found
        self.state = "differs" if found.differences else "ok"
        if found.differences:
            log.error("derived tables differ from the logs in %d row(s)", len(found.differences))

    @property
    def refusing(self) -> bool:
        return self.state in ("differs", "failed")

    def to_json(self) -> dict[str, Any]:
        differences = self.found.differences if self.found else ()
        return {
            "state": self.state,
            "error": self.error,
            "differences": len(differences),
            "shown": [
                {"table": d.table, "key": d.key, "stored": d.stored, "replayed": d.replayed}
                for d in differences[:SHOWN]
            ],
        }


class RefuseUnreconciled:
    """ASGI middleware: while the check refuses, a request the app would send
    to one of the `guarded` routes (the first of `routes` to match, as
    Starlette picks) answers 503."""

    def __init__(
        self, app, check: Callable[[], DerivedCheck | None], routes: Sequence[Route], guarded: Sequence[Route]
    ) -> None:
        self.app, self.check, self.routes, self.guarded = app, check, routes, guarded

    async def __call__(self, scope, receive, send) -> None:
        check = self.check()
        if scope["type"] == "http" and check is not None and check.refusing:
            chosen = next((route for route in self.routes if route.matches(scope)[0] is Match.FULL), None)
            chosen = chosen or next((r for r in self.routes if r.matches(scope)[0] is not Match.NONE), None)
            if any(chosen is route for route in self.guarded):
                error = DerivedMismatch()
                await JSONResponse(error.to_json(), error.status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
