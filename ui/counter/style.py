"""The counter's one look: a calm light theme, large type, one accent colour.

Widgets pick their role with an object name or a dynamic property (`role`,
`tone`) instead of setting styles of their own, so the whole app changes here.
"""

from __future__ import annotations

ACCENT = "#1d5fb8"
ACCENT_DARK = "#164a8f"
INK = "#1f2933"
MUTED = "#5b6773"
LINE = "#d5dbe3"
PAPER = "#f4f6f9"
CARD = "#ffffff"
DANGER = "#b42318"
WARNING = "#b25e09"
SUCCESS = "#1a7f37"
# Status colours, always beside words (money states: `charity.money_states`).
STATUS_COLOURS = {"valid": SUCCESS, "suspended": WARNING, "revoked": DANGER, "superseded": MUTED, "expired": WARNING}

STYLESHEET = f"""
QWidget {{ color: {INK}; font-size: 12pt; }}
QMainWindow, QDialog, #page {{ background: {PAPER}; }}
QStatusBar {{ background: {CARD}; border-top: 1px solid {LINE}; font-size: 11pt; color: {MUTED}; }}
QStatusBar QLabel {{ font-size: 11pt; color: {MUTED}; padding: 0 6px; }}

#header {{ background: {ACCENT}; }}
#header QLabel {{ color: white; }}
#appTitle {{ font-size: 16pt; font-weight: bold; }}
#header #agencyTitle {{ font-size: 12pt; color: #dce8f7; }}
#header QPushButton {{ background: transparent; color: white; border: 1px solid #8fb3e3;
    border-radius: 6px; padding: 5px 14px; font-size: 11pt; }}
#header QPushButton:hover {{ background: {ACCENT_DARK}; }}

#nav {{ background: {CARD}; border-right: 1px solid {LINE}; }}
#nav QPushButton {{ text-align: left; border: none; border-radius: 8px; padding: 12px 16px;
    font-size: 13pt; color: {INK}; background: transparent; }}
#nav QPushButton:hover {{ background: #e9f0fa; }}
#nav QPushButton:checked {{ background: #dbe7f7; color: {ACCENT_DARK}; font-weight: bold; }}
#navHint {{ color: {MUTED}; font-size: 10pt; padding: 0 16px; }}

#card, QFrame[role="card"] {{ background: {CARD}; border: 1px solid {LINE}; border-radius: 10px; }}
QLabel[role="title"] {{ font-size: 18pt; font-weight: bold; }}
QLabel[role="subtitle"] {{ font-size: 13pt; font-weight: bold; color: {INK}; }}
QLabel[role="muted"] {{ color: {MUTED}; font-size: 11pt; }}
QLabel[role="fieldError"] {{ color: {DANGER}; font-size: 10.5pt; }}
QLabel[role="big"] {{ font-size: 22pt; font-weight: bold; color: {ACCENT_DARK}; }}
QLabel[role="value"] {{ font-size: 12pt; }}
QLabel[role="pill"] {{ border-radius: 12px; padding: 3px 12px; color: white; font-weight: bold; font-size: 11pt;
    background: {MUTED}; }}
QLabel[role="pill"][tone="valid"] {{ background: {SUCCESS}; }}
QLabel[role="pill"][tone="suspended"] {{ background: {WARNING}; }}
QLabel[role="pill"][tone="revoked"] {{ background: {DANGER}; }}
QLabel[role="pill"][tone="superseded"] {{ background: {MUTED}; }}
QLabel[role="pill"][tone="expired"] {{ background: {WARNING}; }}

#banner {{ border-radius: 8px; padding: 10px 14px; font-size: 12pt; }}
#banner[tone="error"] {{ background: #fdecea; border: 1px solid #f1b5ae; color: {DANGER}; }}
#banner[tone="ok"] {{ background: #e8f5ec; border: 1px solid #a6d8b4; color: {SUCCESS}; }}
#banner[tone="info"] {{ background: #eaf1fb; border: 1px solid #b7cdee; color: {ACCENT_DARK}; }}
#alertBar {{ background: {DANGER}; }}
#alertBar QLabel {{ color: white; font-size: 13pt; font-weight: bold; }}

QLineEdit, QPlainTextEdit, QComboBox, QDateEdit, QSpinBox {{ background: white; border: 1px solid #b9c3cf;
    border-radius: 6px; padding: 6px 8px; min-height: 22px; selection-background-color: {ACCENT}; }}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus {{ border: 2px solid {ACCENT}; padding: 5px 7px; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"], QComboBox[invalid="true"] {{
    border: 2px solid {DANGER}; padding: 5px 7px; background: #fff7f6; }}
QLineEdit:read-only {{ background: {PAPER}; }}
QComboBox QAbstractItemView {{ background: white; selection-background-color: #dbe7f7; selection-color: {INK}; }}

QPushButton {{ background: white; border: 1px solid #b9c3cf; border-radius: 6px; padding: 7px 16px; }}
QPushButton:hover {{ background: #eef3f9; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; padding: 6px 15px; }}
QPushButton:disabled {{ color: #9aa5b1; background: #f0f2f5; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT_DARK};
    font-weight: bold; padding: 8px 20px; }}
QPushButton[role="primary"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[role="primary"]:disabled {{ background: #9db5d8; border-color: #9db5d8; color: #eef3f9; }}
QPushButton[role="danger"] {{ color: {DANGER}; border-color: #e4a59e; }}
QPushButton[role="danger"]:hover {{ background: #fdecea; }}

QTableView {{ background: white; border: 1px solid {LINE}; border-radius: 8px; gridline-color: #edf0f4;
    alternate-background-color: #f8fafc; selection-background-color: #dbe7f7; selection-color: {INK}; }}
QHeaderView::section {{ background: #eef2f7; border: none; border-bottom: 1px solid {LINE};
    padding: 8px; font-weight: bold; color: {INK}; }}
QListWidget {{ background: white; border: 1px solid {LINE}; border-radius: 8px; }}
QListWidget::item {{ padding: 10px 12px; border-bottom: 1px solid #e3e8ee; color: {INK}; }}
QListWidget::item:selected {{ background: #dbe7f7; color: {INK}; border-left: 4px solid {ACCENT}; }}
QTabWidget::pane {{ border: 1px solid {LINE}; border-radius: 8px; background: {CARD}; top: -1px; }}
QTabBar::tab {{ padding: 9px 20px; margin-right: 2px; border: 1px solid {LINE}; border-bottom: none;
    border-top-left-radius: 8px; border-top-right-radius: 8px; background: #eef2f7; color: {MUTED}; }}
QTabBar::tab:selected {{ background: {CARD}; color: {ACCENT_DARK}; font-weight: bold; }}
QProgressBar {{ border: 1px solid {LINE}; border-radius: 6px; background: white; text-align: center;
    max-height: 16px; font-size: 10pt; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollBar:vertical {{ background: transparent; width: 12px; margin: 2px; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 2px; }}
QScrollBar::handle {{ background: #c3ccd7; border-radius: 4px; min-height: 28px; min-width: 28px; }}
QScrollBar::handle:hover {{ background: #9fabb9; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QLineEdit:disabled, QPlainTextEdit:disabled, QComboBox:disabled {{ background: {PAPER}; color: #4a5663; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QToolTip {{ background: {INK}; color: white; border: none; padding: 6px; font-size: 11pt; }}
"""
