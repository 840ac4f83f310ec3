"""Shared set-up for the counter app tests: a demo city with both plug-ins
(built once per test module), a counter window on one of its agencies, and
signing in through the window as a person would."""

from __future__ import annotations

from pathlib import Path

from conftest import FAST_ARGON2, quiet_demo_city

from democity import spec
from ui.fonts import app_font, install_cjk_font

DEAD_PEER = "http://127.0.0.1:9"  # nothing listens on the discard port: "connection refused" at once


def build_city(path: Path, clock=None):
    from ui.local_backend import default_plugins

    return quiet_demo_city(path, default_plugins(), clock)


def style_app(qapp) -> None:
    from ui import i18n
    from ui.counter.style import STYLESHEET

    qapp.setFont(app_font(install_cjk_font(), 12))
    qapp.setStyleSheet(STYLESHEET)
    i18n.set_language("zh_CN")


def backend(city, agency: str):
    from ui.local_backend import LocalBackend

    return LocalBackend(city.home(agency), argon2=FAST_ARGON2, sync=False)


def open_window(qtbot, city, agency: str, demo_hint: bool = True):
    """A counter window on `agency`, its node open (sign-in enabled)."""
    from ui.counter.main_window import CounterWindow

    window = CounterWindow(lambda: backend(city, agency), demo_hint=demo_hint)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.counter is not None, timeout=20000)
    return window


def sign_in(qtbot, window, user: str, password: str | None = None):
    page = window.signin
    page.user.setText(user)
    page.password.setText(password if password is not None else spec.PASSWORDS[user])
    page.submit.click()
    qtbot.waitUntil(
        lambda: window.workspace is not None and window.stack.currentWidget() is window.workspace, timeout=10000
    )
    return window.workspace


def close_window(window) -> None:
    window.close()


def wait_idle(qtbot, window, timeout: int = 20000) -> None:
    """Until no background task of the window is running."""
    qtbot.waitUntil(lambda: window.tasks.pool.activeThreadCount() == 0, timeout=timeout)
