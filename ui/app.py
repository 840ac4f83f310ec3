"""Counter app entry point. For now a start window showing the node it would
serve; the counter workflows arrive with their issue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from .fonts import app_font, install_cjk_font


def node_summary(home: Path | None) -> str:
    if home is None:
        return "未选择节点目录（--home DIR） / no node home chosen (--home DIR)"
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
    window = StartWindow(node_summary(args.home))
    window.show()
    return app.exec()
