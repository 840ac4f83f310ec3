"""Build and run the lab city: the root authority and three agencies, each a
node in its own namespace with its own home, plus a counter, a kiosk and a
probe host that hold no node.

Everything is done as people would do it: each host runs `main.py` commands on
its own home (`citylab.cheap_cli`: the same commands, test-cost key sealing),
and the only things that travel are files carried from one host's folder to
another's — the enrolment request up, the response back, the fingerprint read
out of a command's output. No `city demo`, no folder two hosts share.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import tomli_w

from citylab.network import Network

REPO = Path(__file__).resolve().parent.parent
MAIN = str(REPO / "main.py")
CITY = "lab"
PORT = 8700
ADMIN_PASSWORD = "admin-lab-2026"
CLERK_PASSWORD = "clerk-lab-2026"
CA_PASSPHRASE = "ca-lab-2026"


class LabError(RuntimeError):
    pass


@dataclass(frozen=True)
class Agency:
    id: str
    host: str  # its host's short name
    name_zh: str
    name_en: str
    uscc: str
    permissions: tuple[str, ...] = ()

    @property
    def passphrase(self) -> str:
        return f"pp-{self.id}-2026"


ROOT = Agency(
    "city-root", "root", "实验市大数据管理局（信任根）", "Lab City Data Bureau (trust root)", "11330100MB1234567E"
)
AGENCIES = (
    Agency(
        "market-regulation",
        "market",
        "实验市市场监督管理局",
        "Lab City Market Regulation",
        "11330100MB0000001R",
        ("certificate:business-licence",),
    ),
    Agency(
        "public-security",
        "security",
        "实验市公安局",
        "Lab City Public Security",
        "11330100MB0000002W",
        ("certificate:residence-permit",),
    ),
    Agency(
        "civil-affairs",
        "civil",
        "实验市民政局",
        "Lab City Civil Affairs",
        "11330100MB00000030",
        ("certificate:marriage-certificate",),
    ),
)
HALL = "market-regulation"  # the agency whose node the counter signs in to
CLIENT_HOSTS = ("counter", "kiosk", "probe")


@dataclass
class Site:
    """One agency's machine: its folder (home, files it was handed) and its node."""

    agency: Agency
    folder: Path
    url: str
    listen: str
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def log_path(self) -> Path:
        return self.folder / "node.log"

    def env(self) -> dict[str, str]:
        return {"CITYCHAIN_PASSPHRASE": self.agency.passphrase, "CITYCHAIN_PASSWORD": ADMIN_PASSWORD}


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    env["PYTHONPATH"] = str(REPO)
    return env | (extra or {})


class Lab:
    def __init__(
        self,
        base: Path,
        interval: float = 2.0,
        force_loopback: bool = False,
        python: str = sys.executable,
        say=print,
    ) -> None:
        self.base = Path(base)
        self.interval = interval
        self.python = python
        self.say = say
        self.agencies = (ROOT, *AGENCIES)
        self.net = Network([a.host for a in self.agencies] + list(CLIENT_HOSTS), force_loopback)
        self.sites: dict[str, Site] = {}
        self.root_key = ""
        self._probes: dict[str, ProbeClient] = {}
        self._lock = threading.Lock()

    @property
    def mode(self) -> str:
        return self.net.mode

    # -- building -------------------------------------------------------------------------------
    def build(self) -> Lab:
        """Network, homes and enrolment, then every node started (in parallel)."""
        started = time.monotonic()
        self.base.mkdir(parents=True, exist_ok=True)
        self.net.up()
        port = PORT if self.mode == "netns" else _free_port()
        for agency in self.agencies:
            host = self.net.hosts[agency.host]
            folder = self.base / agency.host
            folder.mkdir(exist_ok=True)
            listen = f"0.0.0.0:{port}" if self.mode == "netns" else f"{host.ip}:{port}"
            self.sites[agency.id] = Site(agency, folder, f"https://{host.hostname}:{port}", listen)
        for name in CLIENT_HOSTS:
            (self.base / name).mkdir(exist_ok=True)
        self.root_key = setup_root(self, self.sites[ROOT.id])
        self.say(f"citylab: root authority set up ({time.monotonic() - started:.1f} s)")
        self.enrol_agencies()
        self.say(f"citylab: {len(AGENCIES)} agencies enrolled ({time.monotonic() - started:.1f} s)")
        self.carry(self.sites[ROOT.id].home / "tls" / "city-ca.crt", *(self.base / n for n in CLIENT_HOSTS))
        self.start(*self.sites)
        self.say(f"citylab: {len(self.sites)} nodes up on {self.mode} in {time.monotonic() - started:.1f} s")
        return self

    def enrol_agencies(self) -> None:
        """Each agency: init and request on its own host (in parallel); the root
        enrols each request against the fingerprint the agency read out; each
        agency accepts its response."""
        root = self.sites[ROOT.id]
        agencies = [self.sites[a.id] for a in AGENCIES]

        def request(site: Site) -> str:
            a = site.agency
            steps = [
                step("node", "init", "--home", site.home, "--city", CITY, "--agency", a.id, "--root-key", self.root_key),
                self._request_step(site),
                step(
                    "user", "add", "--home", site.home, "--user", "admin", "--name", "clerk", "--role", "clerk",
                    env={"CITYCHAIN_NEW_PASSWORD": CLERK_PASSWORD},
                ),
            ]  # fmt: skip
            out = self.commands(site, steps)
            return re.search(r"^fingerprint: ([0-9a-f]+)$", out, re.M).group(1)

        with ThreadPoolExecutor(len(agencies)) as pool:
            fingerprints = dict(zip((s.agency.id for s in agencies), pool.map(request, agencies), strict=True))
        self.say("citylab: requests made")
        for site in agencies:  # carried to the root on a USB stick; the fingerprint comes by telephone
            self.carry(site.folder / "request.json", root.folder / f"request-{site.agency.id}.json")
        steps = []
        for site in agencies:
            a = site.agency
            permissions = [w for p in a.permissions for w in ("--permission", p)]
            steps.append(
                step(
                    "city", "enrol", "--home", root.home, "--user", "admin", root.folder / f"request-{a.id}.json",
                    "--fingerprint", fingerprints[a.id], *permissions, "--out", root.folder / f"response-{a.id}.json",
                    env={"CITYCHAIN_CA_PASSPHRASE": CA_PASSPHRASE},
                )
            )  # fmt: skip
        self.commands(root, steps)
        self.say("citylab: requests enrolled at the root")
        for site in agencies:
            self.carry(root.folder / f"response-{site.agency.id}.json", site.folder / "response.json")
        with ThreadPoolExecutor(len(agencies)) as pool:
            list(
                pool.map(
                    lambda s: self.commands(
                        s, [step("node", "enrol-accept", "--home", s.home, s.folder / "response.json")]
                    ),
                    agencies,
                )
            )

    def _request_step(self, site: Site) -> dict:
        a, host = site.agency, self.net.hosts[site.agency.host]
        return step(
            "node", "enrol-request", "--home", site.home, "--url", site.url, "--host", host.hostname,
            "--name-zh", a.name_zh, "--name-en", a.name_en, "--uscc", a.uscc, "--out", site.folder / "request.json",
        )  # fmt: skip

    def renew(self, agency: str) -> None:
        """New TLS and seal certificates by the same files as enrolment. A home
        has one writer, so the root's node pauses while it enrols and the
        agency's while it accepts; it then serves the new pair."""
        site, root = self.sites[agency], self.sites[ROOT.id]
        out = self.commands(site, [self._request_step(site)])  # its node serves on meanwhile
        fingerprint = re.search(r"^fingerprint: ([0-9a-f]+)$", out, re.M).group(1)
        self.carry(site.folder / "request.json", root.folder / f"renew-{agency}.json")
        self.stop(ROOT.id)
        self.commands(
            root,
            [
                step(
                    "city", "enrol", "--home", root.home, "--user", "admin", root.folder / f"renew-{agency}.json",
                    "--fingerprint", fingerprint, "--out", root.folder / f"renewed-{agency}.json",
                    env={"CITYCHAIN_CA_PASSPHRASE": CA_PASSPHRASE},
                )
            ],
        )  # fmt: skip
        self.start(ROOT.id)
        self.carry(root.folder / f"renewed-{agency}.json", site.folder / "response.json")
        self.stop(agency)
        self.commands(site, [step("node", "enrol-accept", "--home", site.home, site.folder / "response.json")])
        self.start(agency)

    def carry(self, source: Path, *targets: Path) -> None:
        """A file handed from one host to another (or several)."""
        for target in targets:
            shutil.copy(source, target / source.name if target.is_dir() else target)

    # -- running commands on a host --------------------------------------------------------------
    def run(self, host: str, argv: Sequence, env: dict[str, str] | None = None, timeout: float = 120):
        """Any program, inside host `host`'s namespace, from the repository folder."""
        return subprocess.run(
            self.net.command(host, [str(a) for a in argv]),
            capture_output=True,
            text=True,
            env=_clean_env(env),
            cwd=REPO,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def commands(self, site: Site, steps: list[dict], check: bool = True) -> str:
        """`main.py` commands on a site's home, on its own host, in one process."""
        plan = site.folder / f"steps-{threading.get_ident()}.json"
        plan.write_text(json.dumps(steps, ensure_ascii=False))
        try:
            done = self.run(
                site.agency.host, [self.python, "-m", "citylab.cheap_cli", plan], site.env() | {"PYTHONUNBUFFERED": "1"}
            )
        finally:
            plan.unlink(missing_ok=True)
        if check and done.returncode != 0:
            raise LabError(
                f"{site.agency.id}: {steps[-1]['argv'][:2]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout if check else done.stdout + done.stderr + f"\nexit {done.returncode}"

    # -- nodes ---------------------------------------------------------------------------------
    def spawn(self, agency: str) -> Site:
        """Start a node without waiting for it (one process per home)."""
        site = self.sites[agency]
        if site.proc is not None and site.proc.poll() is None:
            raise LabError(f"node {agency} is running already")
        argv = [self.python, MAIN, "node", "serve", "--home", site.home, "--listen", site.listen, "--tls"]
        argv += ["--interval", str(self.interval)]
        with open(site.log_path, "a") as log:
            log.write(f"--- start {site.starts}\n")
            log.flush()
            site.proc = subprocess.Popen(
                self.net.command(site.agency.host, [str(a) for a in argv]),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_clean_env(site.env()),
                cwd=REPO,
            )
        site.starts += 1
        return site

    def start(self, *agencies: str, timeout: float = 60) -> None:
        """Start nodes side by side and wait until each answers."""
        for agency in agencies:
            self.spawn(agency)
        for agency in agencies:
            self.wait_ready(agency, timeout)

    def wait_ready(self, agency: str, timeout: float = 60) -> None:
        site = self.sites[agency]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if site.proc.poll() is not None:
                raise LabError(f"node {agency} exited ({site.proc.returncode}): {site.log_path.read_text()[-3000:]}")
            if self.probe().get(site.url, "/v1/status", timeout=5).get("status") == 200:
                return
            time.sleep(0.1)
        raise LabError(f"node {agency} did not answer within {timeout} s: {site.log_path.read_text()[-3000:]}")

    def stop(self, agency: str, sig: int = signal.SIGTERM) -> int | None:
        site = self.sites[agency]
        proc = site.proc
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(sig)
        try:
            return proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(10)

    def kill(self, agency: str) -> None:
        self.stop(agency, signal.SIGKILL)

    def set_clock(self, agency: str, offset_seconds: float) -> None:
        """The home's test-only clock offset (docs/protocol.md §6); read when the node opens."""
        path = self.sites[agency].home / "config.toml"
        doc = tomllib.loads(path.read_text())
        if offset_seconds:
            doc["clock"] = {"offset_seconds": offset_seconds}
        else:
            doc.pop("clock", None)
        path.write_bytes(tomli_w.dumps(doc).encode())

    # -- talking to nodes ------------------------------------------------------------------------
    def probe(self, host: str = "probe") -> ProbeClient:
        with self._lock:
            if host not in self._probes or not self._probes[host].alive():
                ca = (self.base / host / "city-ca.crt") if host in CLIENT_HOSTS else None
                if ca is None:  # an agency's own host: the CA file its enrolment installed
                    ca = next(s for s in self.sites.values() if s.agency.host == host).home / "tls" / "city-ca.crt"
                argv = self.net.command(host, [self.python, "-m", "citylab.probe", str(ca)])
                self._probes[host] = ProbeClient(argv, _clean_env(), REPO)
            return self._probes[host]

    def url(self, agency: str) -> str:
        return self.sites[agency].url

    def logs(self, agency: str, host: str = "probe") -> dict[str, dict]:
        """The logs a node holds, by agency (empty if it does not answer)."""
        reply = self.probe(host).get(self.url(agency), "/v1/logs", timeout=10)
        if reply.get("status") != 200:
            return {}
        return {entry["agency"]: entry for entry in reply["body"]["logs"]}

    # -- tearing down ---------------------------------------------------------------------------
    def close(self) -> None:
        for probe in self._probes.values():
            probe.close()
        for agency in self.sites:
            try:
                self.stop(agency)
            except Exception:  # noqa: BLE001 - clean up the rest whatever happens
                pass
        self.net.down()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def setup_root(lab: Lab, site: Site) -> str:
    """The root authority's home by `city init`: node key, trust log with its
    URL, city CA, its node's certificates. Returns the root public key
    (base64) that agencies pin."""
    host = lab.net.hosts[ROOT.host]
    out = lab.commands(
        site,
        [
            step(
                "city", "init", "--home", site.home, "--city", CITY, "--name-zh", ROOT.name_zh,
                "--name-en", ROOT.name_en, "--url", site.url, "--host", host.hostname,
                env={"CITYCHAIN_CA_PASSPHRASE": CA_PASSPHRASE},
            ),
        ],
    )  # fmt: skip
    return re.search(r"public key \(base64\): (\S+)", out).group(1)


def step(*argv, env: dict[str, str] | None = None) -> dict:
    return {"argv": [str(a) for a in argv], "env": env or {}}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ProbeClient:
    """The test's side of a `citylab.probe` process: one request, one answer."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    proc: subprocess.Popen = field(init=False)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        self._waiting: dict[int, Queue] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._ready = Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._ready.get(timeout=30)
        except Empty:
            self.close()
            raise LabError("the probe did not start") from None

    def _read(self) -> None:
        for line in self.proc.stdout:
            value = json.loads(line)
            if value.get("id") is None:
                self._ready.put(value)
                continue
            queue = self._waiting.pop(value["id"], None)
            if queue is not None:
                queue.put(value)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, op: str, timeout: float = 30, **request) -> dict:
        queue: Queue = Queue()
        with self._lock:
            self._next += 1
            ident = self._next
            self._waiting[ident] = queue
            self.proc.stdin.write(json.dumps({"id": ident, "op": op, **request}, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        try:
            return queue.get(timeout=timeout)
        except Empty:
            self._waiting.pop(ident, None)
            return {"error": f"TIMEOUT: no answer to {op} within {timeout} s"}

    def get(self, url: str, path: str, timeout: float = 30) -> dict:
        return self.call("get", timeout, url=url, path=path)

    def post(self, url: str, path: str, body: dict, token: str | None = None, timeout: float = 30) -> dict:
        return self.call("post", timeout, url=url, path=path, json=body, token=token)

    def login(self, url: str, user: str, password: str) -> str:
        reply = self.post(url, "/v1/login", {"user": user, "password": password})
        if reply.get("status") != 200:
            raise LabError(f"sign-in at {url} failed: {reply}")
        return reply["body"]["token"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait(10)
