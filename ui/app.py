"""The counter app: `python main.py [--home DIR | --node URL [--ca PEM]]`.

Without options the counter serves a demo agency: the first start creates the
demo city in the data folder (and says so) and asks which agency this counter
is; the answer is remembered there, so later starts go straight to sign-in.
`--home` runs a node home in this process; `--node` signs in against an
agency node shared by a hall of counters, over HTTPS.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import i18n
from .fonts import app_font, install_cjk_font

DEFAULT_AGENCY = "market-regulation"
PROBE = "CITYCHAIN_STARTUP_PROBE"  # bench/counter.py: report start-up times, then quit


def data_folder() -> Path:
    """Where the embedded node lives: CITYCHAIN_DATA, else the user's data folder."""
    override = os.environ.get("CITYCHAIN_DATA")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "citychain"


def demo_city_folder() -> Path:
    return data_folder() / "demo-city"


def default_home(agency: str = DEFAULT_AGENCY) -> Path:
    """A demo agency's home, the demo city created first if need be (no GUI)."""
    from .counter.first_start import create_city, demo_exists

    city = demo_city_folder()
    if not demo_exists(city):
        create_city(city)
    return city / agency


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description="CityChain counter app")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--home", type=Path, help="a node home to run in this process")
    where.add_argument("--node", help="the URL of a shared agency node (https://…)")
    parser.add_argument(
        "--ca", dest="ca_file", help="the city root CA certificate that signed the node's TLS certificate"
    )
    parser.add_argument("--language", choices=i18n.LANGUAGES, help="zh_CN (default) or en")
    return parser.parse_args(argv)


def local_opener(home: Path) -> Callable:
    def open_local():
        from .local_backend import LocalBackend

        return LocalBackend(home)

    return open_local


def remote_opener(url: str, ca_file: str | None) -> Callable:
    def open_remote():
        from .remote_backend import RemoteBackend

        return RemoteBackend(url, ca_file)

    return open_remote


def _probe(app: QApplication, window) -> None:
    """For the start-up benchmark: print when (Unix time) the sign-in window is
    on screen and when the node behind it is ready, then quit."""

    def shown() -> None:
        print(f"signin-shown {time.time():.4f}", flush=True)

    def ready() -> None:
        if window.counter is not None:
            print(f"node-ready {time.time():.4f}", flush=True)
            app.quit()
        else:
            QTimer.singleShot(10, ready)

    QTimer.singleShot(0, shown)
    QTimer.singleShot(0, ready)


def run(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setFont(app_font(install_cjk_font(), 12))
    from .counter.main_window import CounterWindow
    from .counter.settings import CounterSettings
    from .counter.style import STYLESHEET

    app.setStyleSheet(STYLESHEET)
    folder = data_folder()
    settings = CounterSettings.load(folder)
    i18n.set_language(args.language or settings.language)

    def counter_window(opener: Callable, demo: bool) -> CounterWindow:
        window = CounterWindow(opener, demo_hint=demo)
        window.language_changed.connect(
            lambda language: CounterSettings.load(folder).with_(language=language).save(folder)
        )
        window.show()
        if os.environ.get(PROBE):
            _probe(app, window)
        return window

    windows: list = []
    if args.node:
        windows.append(counter_window(remote_opener(args.node, args.ca_file), False))
    elif args.home:
        windows.append(counter_window(local_opener(args.home), False))
    else:
        from .counter.first_start import FirstStartWindow, demo_exists

        city = demo_city_folder()
        if demo_exists(city) and settings.agency and (city / settings.agency).exists():
            windows.append(counter_window(local_opener(city / settings.agency), True))
        else:
            first = FirstStartWindow(city)

            def chosen(agency: str) -> None:
                CounterSettings.load(folder).with_(agency=agency).save(folder)
                windows.append(counter_window(local_opener(city / agency), True))
                first.close()

            first.chosen.connect(chosen)
            first.show()
            first.start()
            windows.append(first)
    return app.exec()
