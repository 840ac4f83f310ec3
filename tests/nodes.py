"""Start and stop real node processes on 127.0.0.1 for the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from democity import spec

RUNNER = Path(__file__).with_name("node_runner.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class NodeProcess:
    home: Path
    port: int
    peers: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        return self.env.get("CITYCHAIN_TEST_TLS") == "1"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self):
        return str(self.home / "tls" / "city-ca.crt") if self.tls else True

    def start(self, wait: bool = True) -> NodeProcess:
        self.log_path = self.home.parent / f"{self.home.name}.log"
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER), str(self.home), f"127.0.0.1:{self.port}", *self.peers],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/v1/status", timeout=1, verify=self.verify).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise TimeoutError(f"node on {self.port} did not come up")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def get(self, path: str, **params):
        return requests.get(self.url + path, params=params, timeout=10, verify=self.verify)

    def login(self, role: str) -> str:
        reply = requests.post(
            self.url + "/v1/login",
            json={"user": role, "password": spec.PASSWORDS[role]},
            timeout=10,
            verify=self.verify,
        )
        reply.raise_for_status()
        return reply.json()["token"]

    def append(self, token: str, records: list[tuple[str, dict]]):
        return requests.post(
            self.url + "/v1/records",
            json={"records": [{"kind": k, "body": b} for k, b in records]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            verify=self.verify,
        )

    def size_of(self, agency: str) -> int:
        for entry in self.get("/v1/logs").json()["logs"]:
            if entry["agency"] == agency:
                return entry["size"]
        return 0


def wait_for(condition, timeout: float = 20, step: float = 0.1) -> float:
    """Poll until true; return the seconds it took (fails the test on timeout)."""
    start = time.time()
    while time.time() - start < timeout:
        if condition():
            return time.time() - start
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


@contextmanager
def serving(service) -> Iterator[str]:
    """A `NodeService` served from this process (uvicorn in a thread, on a port
    the system picks as it binds); its URL. The service is closed on the way out."""
    import threading

    import uvicorn

    from citychain.net.api import make_app

    config = uvicorn.Config(make_app(service), host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), timeout=10)
        assert server.started, "the in-process node did not start serving"
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        service.close()


class LoopbackServer:
    """A fake peer: a subclass's Starlette `app()` served by uvicorn in a thread
    on 127.0.0.1 for the length of a `with` block."""

    port: int

    def app(self):
        raise NotImplementedError

    def __enter__(self):
        import threading

        import uvicorn

        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="error", lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
