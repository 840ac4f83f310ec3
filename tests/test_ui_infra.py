"""The UI's shared machinery: background tasks report back on the GUI thread,
languages switch at run time from Qt translation files, and the Qt binding
keeps Python's reference counts straight."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QLabel

from ui import i18n
from ui.tasks import Cancelled, Tasks


def test_void_qt_calls_keep_none_alive(qtbot):
    """PySide6 6.12.0 drops a reference to None on every call returning nothing;
    the interpreter then aborts after a few thousand calls. Pinned away in requirements.in."""
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.update()
    assert abs(sys.getrefcount(None) - before) < 50


def test_a_task_runs_off_the_gui_thread_and_reports_on_it(qtbot):
    tasks, seen = Tasks(), {}

    def work(x):
        seen["thread"] = threading.current_thread()
        return x * 2

    tasks.run(work, 21, done=lambda result: seen.update(result=result, at=threading.current_thread()))
    # wait on the callback, connected before the work starts: quick work can end
    # before a signal connected afterwards (qtbot.waitSignal) would hear it
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["thread"] is not threading.main_thread() and seen["at"] is threading.main_thread()


def test_a_failure_arrives_as_the_exception_not_a_crash(qtbot):
    tasks, failures = Tasks(), []
    tasks.run(lambda: 1 / 0, failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], ZeroDivisionError) and "ZeroDivisionError" in failures[0].__traceback_text__


def test_long_work_reports_progress_and_stops_when_cancelled(qtbot):
    tasks, steps, failures = Tasks(), [], []
    gate = threading.Event()

    def long(progress):
        for i in range(1000):
            progress(i, 1000, "step")
            gate.wait(0.01)
        return "finished"

    task = tasks.run(long, progress=lambda done, total, text: steps.append(done), failed=failures.append)
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=5000)
    task.cancel()
    with qtbot.waitSignal(task.ended, timeout=5000):
        pass
    assert isinstance(failures[0], Cancelled) and len(steps) < 1000


class Retranslating(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.retranslate()

    def retranslate(self) -> None:
        self.setText(QCoreApplication.translate("Common", "CityChain"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pytest.fixture
def english_afterwards():
    yield
    i18n.set_language("en")


def test_language_switches_at_run_time_in_both_directions(qtbot, english_afterwards):
    label = Retranslating()
    qtbot.addWidget(label)
    i18n.set_language("zh_CN")  # Qt posts LanguageChange; it arrives with the next event loop turn
    qtbot.waitUntil(lambda: label.text() == "可信城市", timeout=2000)
    assert i18n.money(123456) == "¥1,234.56"
    i18n.set_language("en")
    qtbot.waitUntil(lambda: label.text() == "CityChain", timeout=2000)
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def test_the_working_indicator_clears_for_work_that_ended_before_it_listened(qtbot):
    """Quick work can end before the status bar connects to it; the bar must not
    then say "working…" for ever."""
    from ui.counter.widgets import Activity

    activity, tasks = Activity(), Tasks()
    task = tasks.run(lambda: 1)
    qtbot.waitUntil(lambda: not task.running, timeout=5000)
    qtbot.wait(50)  # its `ended` was delivered, to nobody
    activity.begin(task, "working", False)
    qtbot.wait(Activity.DELAY_MS + 150)
    try:
        assert activity.isHidden()
    finally:
        activity.close()


def test_nothing_under_ui_runs_sql_or_crypto():
    """The GUI is a client of the node: the node's tables are read by the
    domain packages' functions (which `ui.local_backend` calls and the node's
    routes serve), and every secret is hashed by citychain.accounts."""
    import ast
    import re
    from pathlib import Path

    banned_modules = {"sqlite3", "sqlite_utils", "cryptography", "argon2", "nacl", "hmac"}
    banned_calls = {"execute", "executemany", "executescript", "scrypt", "pbkdf2_hmac"}
    sql = re.compile(
        r"\bSELECT\b.*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
        r"|\bCREATE\s+(TABLE|INDEX|TRIGGER|VIEW)\b|\bPRAGMA\b|\bJOIN\b.*\bON\b",
        re.S,
    )
    root = Path(__file__).resolve().parent.parent / "ui"
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(root.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in banned_modules]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] in banned_modules:
                    found.append(f"{where}: from {node.module} import")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in banned_calls:
                found.append(f"{where}:{node.lineno}: .{node.func.attr}(…)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and sql.search(node.value):
                found.append(f"{where}:{node.lineno}: SQL {node.value[:40]!r}")
    assert found == []
    assert sql.search("SELECT e.leaf FROM entries e") and not sql.search("Select a file from the stick")


def test_the_counter_s_own_words_are_all_in_its_catalogue_and_pairs_only_come_as_data():
    """One mechanism per kind of word (ui/i18n.py): the UI's own text through
    tr() and the .ts catalogue, pick() only for pairs that arrive as data."""
    import ast
    import xml.etree.ElementTree as ET
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "ui"

    def calls(path: Path, name: str):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == name:
                yield node

    sources = {
        call.args[0].value
        for path in (root / "counter").glob("*.py")
        for call in calls(path, "tr")
        if call.args and isinstance(call.args[0], ast.Constant)
    }
    tree = ET.parse(root / "translations" / "counter_zh_CN.ts")
    translated = {m.findtext("source"): m.findtext("translation") for m in tree.iter("message")}
    assert len(sources) > 150
    assert sorted(s for s in sources if not translated.get(s)) == []

    literal_pairs = [
        f"{path.relative_to(root)}:{call.lineno}"
        for path in sorted(root.rglob("*.py"))
        for call in calls(path, "pick")
        if len(call.args) == 2 and all(isinstance(a, ast.Constant) for a in call.args)
    ]
    assert literal_pairs == []
