"""Counter app entry point. For now a start window showing the node it would
serve; the counter workflows arrive with their issue."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from .fonts import app_font, install_cjk_font


DEFAULT_AGENCY = "market-regulation"


def data_folder() -> Path:
    """Where the embedded node lives: CITYCHAIN_DATA, else the user's data folder."""
    override = os.environ.get("CITYCHAIN_DATA")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "citychain"


def default_home() -> Path:
    """The demo city is created on first start, so the app is usable at once."""
    city = data_folder() / "demo-city"
    if not (city / DEFAULT_AGENCY / "config.toml").exists():
        from democity.build import create_demo_city

        print(f"首次启动：正在创建演示城市 / first start: creating the demo city in {city}", flush=True)
        create_demo_city(city)
    return city / DEFAULT_AGENCY


def node_summary(home: Path) -> str:
    from citychain.node import Node

    with Node.open(home, write=False) as node:
        lines = [f"机构 / agency: {node.config.agency}", f"信任日志 / trust log: {node.trust.size} 条记录 / records"]
        for head in node.store.heads():
            lines.append(f"{head.origin}: {head.size}")
    return "\n".join(lines)


class StartWindow(QMainWindow):
    def __init__(self, summary: str) -> None:
        super().__init__()
        self.setWindowTitle("CityChain 可信城市")
        title = QLabel("可信城市 · CityChain")
        title.setObjectName("title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-size: 28pt; font-weight: bold;")
        body = QLabel(summary)
        body.setObjectName("summary")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setWordWrap(True)
        layout = QVBoxLayout()
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(body)
        layout.addStretch(1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.resize(1280, 800)


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="main.py")
    parser.add_argument("--home", type=Path)
    parser.add_argument("--node")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setFont(app_font(install_cjk_font()))
    window = StartWindow(node_summary(args.home or default_home()))
    window.show()
    return app.exec()
