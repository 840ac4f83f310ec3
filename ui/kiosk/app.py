"""`python main.py kiosk …`: start the kiosk over the whole screen (ui.kiosk.screen_cover).

kiosk                        the demo city in the data folder (civil affairs' node home)
kiosk --home DIR             a node home on this machine: its trust log and its ledgers
kiosk --trust BUNDLE --node URL [--ca FILE]   a trust bundle, and a node to ask
kiosk --trust BUNDLE         offline: certificates only, revocation not checked
--config FILE                kiosk.toml (default: beside the home, else the data folder)
--windowed                   a normal window (development)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from citychain.errors import CityChainError

DEMO_AGENCY = "civil-affairs"  # mirrors every log of the demo city and acknowledges charity payments


def demo_home() -> Path:
    """The demo city in the data folder, created (with certificates and charity) on first start."""
    from ui.app import default_home

    return default_home(DEMO_AGENCY)


def ensure_indexes(home: Path) -> None:
    """Open the home once with the plug-ins so their index tables exist (read only, no key)."""
    from citychain.node.node import Node
    from ui.local_backend import default_plugins

    with Node.open(home, default_plugins(), write=False):
        pass


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="main.py kiosk", description="CityChain self-service kiosk / 可信城市自助终端"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--home", type=Path, help="a node home on this machine")
    where.add_argument("--node", help="a node URL to ask (needs --trust)")
    parser.add_argument("--trust", type=Path, help="a trust bundle: the kiosk's trust root")
    parser.add_argument("--ca", help="CA file for an HTTPS --node")
    parser.add_argument("--config", type=Path, help="kiosk.toml")
    parser.add_argument("--windowed", action="store_true", help="a normal window instead of full screen")
    args = parser.parse_args(argv)
    if args.node and not args.trust:
        parser.error(
            "--node 需要 --trust BUNDLE（信任根来自本机配置）/ --node needs --trust BUNDLE "
            "(the trust root comes from the kiosk's own configuration)"
        )
    if args.home and args.trust:
        parser.error("--home 已包含信任根，不能再给 --trust / --home already holds the trust root; drop --trust")
    return args


def build_backend(args: argparse.Namespace, max_age_s: int, policy: Path | None = None):
    """`policy`: kiosk.toml's trust policy, whose quorum wins over the bundle's or the home's."""
    if args.trust:
        from .backend_remote import RemoteBackend

        return RemoteBackend(args.trust, args.node, args.ca, max_age_s=max_age_s, policy=policy)
    from .backend_local import LocalBackend

    home = args.home or demo_home()
    ensure_indexes(home)
    return LocalBackend(home, max_age_s=max_age_s, policy=policy)


def other_cities(settings) -> tuple:
    """kiosk.toml's `other_cities`: each bundle a trusted city of its own, verified offline."""
    from citychain.documents.checks import VerifierConfig
    from citychain.documents.door import VerifyPlace

    return tuple(
        VerifyPlace(VerifierConfig.from_bundle(p), None, settings.max_status_age_s) for p in settings.other_city_paths
    )


def run(argv: Sequence[str]) -> int:
    args = parse(argv)
    from PySide6.QtWidgets import QApplication

    from ui import i18n
    from ui.app import data_folder
    from ui.fonts import app_font, install_cjk_font

    from . import config as kiosk_config
    from .window import KioskWindow

    try:
        settings = kiosk_config.load(args.config or kiosk_config.config_path(args.home, data_folder()))
        backend = build_backend(args, settings.max_status_age_s, settings.policy_path)
        backend.other_cities = other_cities(settings)
    except OSError as exc:
        print(f"错误 / error: 无法读取 {exc.filename} / cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except (CityChainError, ValueError) as exc:  # a bad kiosk.toml, trust bundle or home
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setFont(app_font(install_cjk_font(), 14))
    i18n.set_language(settings.language)
    window = KioskWindow(backend, settings)
    window.exit_requested.connect(app.quit)
    if args.windowed:
        window.resize(1280, 800)
        window.show()
    else:
        from .screen_cover import ScreenCover

        ScreenCover(window).start()  # the whole screen, with or without a window manager
    return app.exec()
