"""Real display servers for tests, as kiosks run them: Xvfb with no window
manager (a kiosk that starts straight into the app with `xinit`), on a display
number it picks itself; and Cage, the kiosk compositor, on wlroots' headless
back end."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Window:
    id: str
    title: str
    x: int
    y: int
    width: int
    height: int


def need_xvfb() -> None:
    missing = [tool for tool in ("Xvfb", "xwininfo", "xprop") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/setup.sh installs xvfb and x11-utils as root)")


@contextmanager
def bare_x(width: int, height: int) -> Iterator[str]:
    """`DISPLAY` of a fresh Xvfb screen of `width`×`height`; stopped afterwards, even on failure."""
    need_xvfb()
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], 20)  # Xvfb writes its display number once it listens
        number = os.read(read, 32).decode().strip() if ready else ""
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        os.close(read)
        stop(server)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def cage_headless() -> Iterator[dict[str, str]]:
    """The environment for a Wayland client of a fresh Cage on wlroots' headless
    back end (one 1280×720 output, software rendering); Cage stopped afterwards.

    Cage refuses to run as root, so under root it runs as `nobody` and the
    client (this test's user) joins it through the socket's full path."""
    missing = [tool for tool in ("cage", "Xwayland") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/setup.sh installs cage and xwayland as root)")
    runtime = Path(tempfile.mkdtemp(prefix="citychain-cage-"))
    command = ["cage", "--", "sleep", "600"]  # Cage lives as long as its one client
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("Cage refuses root and setpriv (util-linux) is missing to run it as nobody")
        shutil.chown(runtime, "nobody")
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        WLR_BACKENDS="headless",
        WLR_RENDERER="pixman",
        WLR_LIBINPUT_NO_DEVICES="1",
        HOME=str(runtime),
    )
    compositor = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        socket = runtime / "wayland-0"
        deadline = time.monotonic() + 20
        while not socket.exists() and compositor.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not socket.exists():
            stop(compositor)
            pytest.skip(f"Cage did not start headless here: {compositor.stderr.read().decode(errors='replace')[-300:]}")
        yield dict(os.environ, QT_QPA_PLATFORM="wayland", WAYLAND_DISPLAY=str(socket), XDG_RUNTIME_DIR=str(runtime))
    finally:
        stop(compositor)
        shutil.rmtree(runtime, ignore_errors=True)


def windows(display: str, title: str) -> list[Window]:
    """The windows whose title starts with `title`, as the X server sees them (xwininfo)."""
    out = subprocess.run(
        ["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True, timeout=10
    ).stdout
    found = []
    for line in out.splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) "([^"]*)".*?\s(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', line)
        if match and match.group(2).startswith(title):
            window_id, name, w, h, x, y = match.groups()
            found.append(Window(window_id, name, int(x), int(y), int(w), int(h)))
    return found


def property_text(display: str, window: Window, name: str) -> str:
    """One X property of a window, as xprop prints it."""
    return subprocess.run(
        ["xprop", "-display", display, "-id", window.id, name], capture_output=True, text=True, timeout=10
    ).stdout
