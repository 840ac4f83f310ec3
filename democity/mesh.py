"""Connect the demo homes: each serves on its own loopback port, pulls every
other log, and co-signs them, so any home can verify anything in the city.

The nodes run in this process with real HTTP servers on free ports for the
duration; afterwards each home listens at its fixed demo address, the one the
trust log gives for its agency (`demo_url`), and finds the others there, ready
for `node serve`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import uvicorn

from citychain.log.checkpoint import open_checkpoint
from citychain.net.api import make_app
from citychain.net.service import NodeService
from citychain.node.kinds import Plugin
from citychain.node.node import Node
from citychain.node.witnesses import witnessed_by

FIRST_PORT = 8700
CLEAN_ROUNDS = 3  # pull; co-sign; pull the co-signed checkpoints — each without a failed peer
MAX_ROUNDS = 12


def demo_url(index: int) -> str:
    """The fixed address of the demo city's home number `index` (the root is 0)."""
    return f"http://127.0.0.1:{FIRST_PORT + index}"


class _Servers:
    """One uvicorn server per service, in threads; stopped all at once."""

    def __init__(self, services: Sequence[NodeService]) -> None:
        self.servers = []
        for service in services:
            # port 0: the system picks a free port as it binds, so no other process can take it first
            config = uvicorn.Config(make_app(service), host="127.0.0.1", port=0, log_level="error", lifespan="off")
            self.servers.append(uvicorn.Server(config))
        self.threads = [threading.Thread(target=server.run, daemon=True) for server in self.servers]

    def __enter__(self) -> list[str]:
        for thread in self.threads:
            thread.start()
        for server, thread in zip(self.servers, self.threads):
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError("a demo node's server did not start")
                threading.Event().wait(0.02)
        return [f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}" for server in self.servers]

    def __exit__(self, *exc) -> None:
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            thread.join(10)


def mesh(homes: Sequence[Path], plugins: Sequence[Plugin] = (), clock=None) -> None:
    with ExitStack() as stack:
        nodes = [stack.enter_context(Node.open(home, plugins, clock=clock)) for home in homes]
        services = [NodeService(node, plugins, interval=3600) for node in nodes]
        for service in services:
            stack.callback(service.close)
        urls = stack.enter_context(_Servers(services))
        for i, service in enumerate(services):
            service.syncer._fixed_peers = [url for j, url in enumerate(urls) if j != i]
        _converge(services)
        for i, node in enumerate(nodes):
            config = node.config
            node.home.write_config(
                type(config)(
                    **{
                        **config.__dict__,
                        "extra": {**config.extra, "server": {"listen": demo_url(i).removeprefix("http://")}},
                    }
                )
            )


def _converge(services: Sequence[NodeService]) -> None:
    """Rounds until every home holds every other log whole, under a checkpoint
    with a quorum of co-signatures, and CLEAN_ROUNDS in a row had no peer
    failure. A busy machine can time out one request; the backoff that protects
    a live node would then leave the demo with a log half pulled or a checkpoint
    short of co-signatures, which a verifier rightly calls STATUS_UNKNOWN."""
    clean = 0
    for _ in range(MAX_ROUNDS):
        failed = False
        for service in services:
            for state in service.syncer.peers.values():
                state.backoff_until = 0.0
            service.syncer.run_round()
            failed |= any(state.failures for state in service.syncer.peers.values())
        clean = 0 if failed else clean + 1
        if clean >= CLEAN_ROUNDS and not _unsettled([service.node for service in services]):
            return
    raise RuntimeError(
        "the demo nodes did not finish syncing with each other: "
        + "; ".join(_unsettled([service.node for service in services]))
    )


def _unsettled(nodes: Sequence[Node]) -> list[str]:
    """What some home still lacks: another agency's log, or witnesses on its checkpoint."""
    lacking = []
    for node in nodes:
        for other in nodes:
            if other is node:
                continue
            agency = other.config.agency
            with other.lock:
                size = other.store.head(agency).size
            if size == 0:
                continue  # nothing to hold yet
            with node.lock:
                held = node.store.head(agency)
            if held is None or held.size != size or not held.checkpoint:
                lacking.append(f"{node.config.agency} holds {agency}'s log short of {size}")
                continue
            signed = open_checkpoint(held.checkpoint, other.config.origin, [other.signer.public_key])
            witnesses = witnessed_by(signed, node.trust, node.config.city, agency, int(time.time()))
            if len(witnesses) < node.config.witness_quorum:
                lacking.append(f"{node.config.agency} holds {agency}'s checkpoint with {len(witnesses)} witnesses")
    return lacking
