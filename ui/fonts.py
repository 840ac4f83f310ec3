"""Make the CJK font available to Qt, so Chinese renders on any machine."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

from resources import cjk_font_path


def install_cjk_font() -> str:
    """Register the bundled font and return its family name."""
    font_id = QFontDatabase.addApplicationFont(str(cjk_font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise RuntimeError(f"Qt could not load the CJK font at {cjk_font_path()}")
    return families[0]


def app_font(family: str, point_size: int = 11) -> QFont:
    font = QFont(family, point_size)
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    return font
