"""Colours and type sizes, normal and high contrast, scaled to the screen.

Sizes are for reading at two metres: body text about 30 px and the verdict
about 96 px on a 1080-line screen, scaled down with the screen but never
below what a touch target needs (48 px). Large-text mode (适老化) makes every
text at least `LARGE_TEXT` times its normal size. Every text colour keeps
WCAG AA contrast (4.5:1) with what it sits on; tests/test_kiosk_access.py
measures each pair in the stylesheets, so text colours that share a
background are written as descendant rules (`banner QLabel[...]`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_TARGET = 48
LARGE_TEXT = 1.5


@dataclass(frozen=True)
class Palette:
    bg: str
    surface: str
    text: str
    muted: str
    line: str
    accent: str
    on_accent: str
    quiet: str  # secondary buttons
    on_quiet: str
    good: str
    warn: str
    bad: str
    on_tone: str  # text on a verdict banner
    flow: dict  # money tones → flow colour (charity.money_states); empty: the vocabulary's own colours


NORMAL = Palette(
    bg="#eef2f6",
    surface="#ffffff",
    text="#10161d",
    muted="#3d4955",
    line="#b9c3cd",
    accent="#0a58a8",
    on_accent="#ffffff",
    quiet="#dde4eb",
    on_quiet="#10161d",
    good="#16723a",
    warn="#9a4a00",
    bad="#b0261c",
    on_tone="#ffffff",
    flow={},
)
HIGH_CONTRAST = Palette(
    bg="#000000",
    surface="#000000",
    text="#ffffff",
    muted="#ffffff",
    line="#ffffff",
    accent="#ffd400",
    on_accent="#000000",
    quiet="#000000",
    on_quiet="#ffffff",
    good="#00e060",
    warn="#ffd400",
    bad="#ff5a4f",
    on_tone="#000000",
    flow={"source": "#4fc3ff", "project": "#e08cff", "done": "#00e060", "waiting": "#ffd400", "out": "#ffffff"},
)


def palette(high_contrast: bool) -> Palette:
    return HIGH_CONTRAST if high_contrast else NORMAL


def scale_for(width: int, height: int) -> float:
    """Type and targets for a screen: designed at 1600×1080, or 1200×1600
    standing up (a portrait kiosk is as wide as a landscape one is high, and
    read from as far away)."""
    design_w, design_h = (1200, 1600) if height > width else (1600, 1080)
    return max(0.6, min(width / design_w, height / design_h, 1.4))


def px(size: float, scale: float) -> int:
    return max(12, round(size * scale))


def text_px(size: float, scale: float, large: bool = False) -> int:
    """A type size; in large-text mode rounded up, so it is never below `LARGE_TEXT` times the normal one."""
    normal = px(size, scale)
    return math.ceil(normal * LARGE_TEXT) if large else normal


def stylesheet(scale: float, high_contrast: bool, large: bool = False) -> str:
    p = palette(high_contrast)
    border = 3 if high_contrast else 0
    target = max(MIN_TARGET, px(76, scale))

    def f(size: float) -> int:  # type
        return text_px(size, scale, large)

    def d(size: float) -> int:  # corners, padding: the same in large-text mode, so text gets the room
        return px(size, scale)

    return f"""
QWidget#kiosk {{ background: {p.bg}; }}
QWidget {{ color: {p.text}; font-size: {f(30)}px; }}
QLabel {{ background: transparent; }}
QLabel[role="title"] {{ font-size: {f(44)}px; font-weight: bold; }}
QLabel[role="hero"] {{ font-size: {f(52)}px; font-weight: bold; }}
QLabel[role="muted"] {{ color: {p.muted}; font-size: {f(27)}px; }}
QLabel[role="small"] {{ color: {p.muted}; font-size: {f(22)}px; }}
QLabel[role="big"] {{ font-size: {f(36)}px; font-weight: bold; }}
QLabel[role="error"] {{ color: {p.bad}; font-size: {f(28)}px; font-weight: bold; }}
QLabel[role="ok"] {{ color: {p.good}; font-size: {f(28)}px; font-weight: bold; }}
QLabel[role="warning"] {{ color: {p.warn}; font-size: {f(28)}px; font-weight: bold; }}
QLabel[role="mark"] {{ font-size: {f(110)}px; font-weight: bold; color: {p.bad}; }}
QFrame[role="banner"] QLabel[role="symbol"] {{ font-size: {f(100)}px; font-weight: bold; color: {p.on_tone}; }}
QFrame[role="banner"] QLabel[role="headline"] {{ font-size: {f(72)}px; font-weight: bold; color: {p.on_tone}; }}
QFrame[role="banner"] QLabel[role="headline2"] {{ font-size: {f(44)}px; font-weight: bold; color: {p.on_tone}; }}
QFrame[role="banner"] QLabel[role="sentence"] {{ font-size: {f(26)}px; color: {p.on_tone}; }}
QLabel[role="fieldname"] {{ color: {p.muted}; font-size: {f(22)}px; }}
QLabel[role="fieldvalue"] {{ font-size: {f(30)}px; font-weight: bold; }}
QFrame[role="banner"] {{ border-radius: {d(18)}px; }}
QFrame[role="banner"][tone="good"] {{ background: {p.good}; }}
QFrame[role="banner"][tone="warn"] {{ background: {p.warn}; }}
QFrame[role="banner"][tone="bad"] {{ background: {p.bad}; }}
QFrame[role="card"] {{ background: {p.surface}; border: {max(1, border)}px solid {p.line}; border-radius: {d(14)}px; }}
QFrame[role="bar"] {{ background: {p.surface}; border-bottom: {max(1, border)}px solid {p.line}; }}
QPushButton {{
    background: {p.accent}; color: {p.on_accent}; border: {border}px solid {p.text};
    border-radius: {d(14)}px; padding: {d(10)}px {d(28)}px; min-height: {target}px; min-width: {MIN_TARGET}px;
    font-size: {f(32)}px; font-weight: bold;
}}
QPushButton:pressed {{ background: {p.text}; color: {p.bg}; }}
QPushButton:disabled {{ background: {p.line}; color: {p.muted}; }}
QPushButton[kind="quiet"] {{ background: {p.quiet}; color: {p.on_quiet}; border: {max(2, border)}px solid {p.line}; }}
QPushButton[kind="bar"] {{ background: {p.quiet}; color: {p.on_quiet}; font-size: {f(26)}px;
    min-height: {max(MIN_TARGET, px(60, scale))}px; padding: {d(4)}px {d(20)}px;
    border: {max(2, border)}px solid {p.line}; }}
QPushButton[kind="bar"]:checked {{ background: {p.text}; color: {p.bg}; }}
QPushButton[kind="tile"] {{ font-size: {f(38)}px; min-height: {max(MIN_TARGET, px(190, scale))}px; text-align: center;
    border-radius: {d(22)}px; }}
QPushButton[kind="tile"] QLabel {{ color: {p.on_accent}; font-size: {f(38)}px; font-weight: bold; }}
QPushButton[kind="key"] {{ background: {p.surface}; color: {p.text}; border: {max(2, border)}px solid {p.line};
    font-size: {f(34)}px; min-height: {max(MIN_TARGET, px(72, scale))}px; min-width: {max(MIN_TARGET, px(72, scale))}px;
    padding: 0px; border-radius: {d(10)}px; }}
QPushButton[kind="key"]:pressed {{ background: {p.accent}; color: {p.on_accent}; }}
QLineEdit {{ background: {p.surface}; color: {p.text}; border: {max(3, border)}px solid {p.accent};
    border-radius: {d(10)}px; padding: {d(8)}px {d(14)}px; font-size: {f(38)}px; min-height: {target}px; }}
QLineEdit[invalid="true"] {{ border-color: {p.bad}; }}
QListWidget {{ background: {p.surface}; border: {max(2, border)}px solid {p.line}; border-radius: {d(12)}px;
    font-size: {f(30)}px; }}
QListWidget::item {{ min-height: {max(MIN_TARGET, px(84, scale))}px; padding: {d(6)}px {d(16)}px;
    border-bottom: 1px solid {p.line}; }}
QListWidget::item:selected {{ background: {p.accent}; color: {p.on_accent}; }}
QProgressBar {{ background: {p.quiet}; border: {max(2, border)}px solid {p.line}; border-radius: {d(10)}px;
    min-height: {f(34)}px; text-align: center; font-size: {f(22)}px; color: {p.text}; }}
QProgressBar::chunk {{ background: {p.good}; border-radius: {d(8)}px; }}
QScrollArea {{ background: transparent; border: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ width: {max(24, d(30))}px; background: {p.quiet}; }}
QScrollBar::handle:vertical {{ background: {p.muted}; min-height: {MIN_TARGET}px; border-radius: {d(8)}px; }}
"""
