"""The lab's network: a Linux network namespace per host, wired by veth pairs to
a bridge in a "switch" namespace of its own, so nothing is added to the
machine's own namespace; or, where namespaces cannot be made (not root),
distinct loopback addresses 127.0.1.x, said out loud.

Namespaces are named `citylab-<pid>-<host>`, so parallel runs never clash and
the leftovers of a run that died (its pid gone) are recognised and removed by
the next one. Each host gets `/etc/netns/<ns>/hosts` (and `hostname`), which
`ip netns exec` mounts over /etc/hosts: every lab host name resolves in every
namespace, and nowhere else.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("citylab")

PREFIX = "citylab-"
NETNS_RUN = Path("/run/netns")
NETNS_ETC = Path("/etc/netns")
SUBNET = "10.213.0"
DOMAIN = "citylab.test"  # RFC 2606: never a real name


class NetworkError(RuntimeError):
    pass


@dataclass(frozen=True)
class Host:
    name: str  # short: "root", "market", "counter", …
    ip: str
    hostname: str  # what URLs and certificates name: a DNS name with namespaces, the IP without
    ns: str | None  # the namespace, or None on loopback


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_namespace(ns: str) -> None:
    """End what still runs in it (only lab processes run there), then delete it."""
    done = _ip("netns", "pids", ns, check=False)
    for word in done.stdout.split():
        if word.isdigit():
            try:
                os.kill(int(word), signal.SIGKILL)
            except ProcessLookupError:
                pass
    _ip("netns", "del", ns, check=False)
    shutil.rmtree(NETNS_ETC / ns, ignore_errors=True)


def remove_stale(started: float) -> list[str]:
    """Namespaces of earlier lab runs whose process is gone (an aborted run):
    made before `started`, named with our prefix and a dead pid."""
    removed = []
    names = {p.name for p in NETNS_RUN.iterdir()} if NETNS_RUN.is_dir() else set()
    names |= {p.name for p in NETNS_ETC.iterdir()} if NETNS_ETC.is_dir() else set()
    for name in sorted(n for n in names if n.startswith(PREFIX)):
        pid = name[len(PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        made = (NETNS_RUN / name) if (NETNS_RUN / name).exists() else (NETNS_ETC / name)
        try:
            if made.stat().st_mtime >= started:
                continue
        except FileNotFoundError:
            continue
        remove_namespace(name)
        removed.append(name)
    return removed


def namespaces_possible() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


class Network:
    """`mode` is "netns" or "loopback"; `hosts` by short name."""

    def __init__(self, names: Sequence[str], force_loopback: bool = False) -> None:
        self.started = time.time()
        self.run_id = f"{PREFIX}{os.getpid()}-"
        self.mode = "loopback" if force_loopback or not namespaces_possible() else "netns"
        self.switch = self.run_id + "switch"
        self.names = tuple(names)
        self.hosts: dict[str, Host] = {}
        self.why_loopback = ""
        self._made: list[str] = []

    # -- up and down ------------------------------------------------------------------------
    def up(self) -> Network:
        if self.mode == "netns":
            try:
                remove_stale(self.started)
                self._netns_up()
            except (NetworkError, OSError, subprocess.SubprocessError) as exc:
                self.down()
                self.mode, self.why_loopback = "loopback", str(exc)
        if self.mode == "loopback":
            self.hosts = {n: Host(n, f"127.0.1.{10 + i}", f"127.0.1.{10 + i}", None) for i, n in enumerate(self.names)}
            print(
                "citylab: network namespaces unavailable"
                + (f" ({self.why_loopback})" if self.why_loopback else " (not root, or no `ip`)")
                + "; falling back to loopback addresses 127.0.1.x on this machine's own network",
                flush=True,
            )
        return self

    def _netns_up(self) -> None:
        self.hosts = {
            n: Host(n, f"{SUBNET}.{10 + i}", f"{n}.{DOMAIN}", self.run_id + n) for i, n in enumerate(self.names)
        }
        _ip("netns", "add", self.switch)
        self._made.append(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        hosts_file = "127.0.0.1\tlocalhost\n" + "".join(f"{h.ip}\t{h.hostname} {h.name}\n" for h in self.hosts.values())
        for host in self.hosts.values():
            _ip("netns", "add", host.ns)
            self._made.append(host.ns)
            etc = NETNS_ETC / host.ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts_file)
            (etc / "hostname").write_text(host.hostname + "\n")
            port = self.port_of(host.name)
            _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.ns)
            _ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
            _ip("-n", host.ns, "addr", "add", f"{host.ip}/24", "dev", "eth0")
            _ip("-n", host.ns, "link", "set", "eth0", "up")
            _ip("-n", host.ns, "link", "set", "lo", "up")

    def down(self) -> None:
        for ns in reversed(self._made):
            remove_namespace(ns)
        self._made.clear()

    # -- using it ---------------------------------------------------------------------------
    def port_of(self, name: str) -> str:
        """The bridge's end of a host's link, in the switch namespace."""
        return f"p{self.names.index(name)}"

    def command(self, name: str, argv: Sequence[str]) -> list[str]:
        """`argv` run inside host `name`'s namespace, under its host name (its
        own UTS namespace; `sh` and `unshare` exec, so the pid is the program's)."""
        host = self.hosts[name]
        if host.ns is None:
            return list(argv)
        return [
            "ip", "netns", "exec", host.ns,
            "unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host.hostname, *argv,
        ]  # fmt: skip

    def cut(self, name: str) -> None:
        """Unplug a host from the switch (its own end stays up)."""
        self._need_netns("a partition")
        _ip("-n", self.switch, "link", "set", self.port_of(name), "down")

    def heal(self, name: str) -> None:
        self._need_netns("a partition")
        _ip("-n", self.switch, "link", "set", self.port_of(name), "up")

    def _need_netns(self, what: str) -> None:
        if self.mode != "netns":
            raise NetworkError(f"{what} needs network namespaces (this lab runs on loopback)")
