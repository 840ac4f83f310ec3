"""Run-time language switching; the one rule for the UI's words.

The rule: words the UI itself writes are English source strings wrapped in
`self.tr("…")` (or `QCoreApplication.translate(context, "…")`), with the
Chinese in `ui/translations/*_zh_CN.ts` (edit with `pyside6-linguist` or by
hand). Words that arrive as data already in both languages — an error's
`message_zh`/`message_en`, licence types and fields, agency names, verdict
sentences, the vocabularies of the layers below — are never put in a `.ts`:
they are shown with `pick(zh, en)`, the one place that chooses.

The `.ts` files are compiled to `.qm` with PySide6's own `lrelease` into a
cache folder on first use, so no build step and nothing generated in the repo.

Qt's own words (the standard buttons of a message box, the file and colour
dialogs, a line edit's context menu) come from the `qtbase` catalogue that
PySide6 ships in Qt's translations folder; it is installed and removed with
ours, so a Chinese screen never shows "Cancel".

Switching installs or removes the translators; Qt then sends every widget a
`QEvent.LanguageChange`, and widgets re-set their texts in `retranslate()`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
QT_CATALOGUES = ("qtbase",)  # Qt's own words; the widgets we use need no other module's
_installed: list[QTranslator] = []
_current = "en"
log = logging.getLogger(__name__)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citychain" / "qm"


def _lrelease() -> str:
    return str(Path(PySide6.__file__).resolve().parent / "lrelease")


def compiled(ts: Path) -> Path:
    """The .qm for a .ts file, compiled again whenever the .ts changes."""
    digest = hashlib.sha256(ts.read_bytes()).hexdigest()[:16]
    qm = _cache_dir() / f"{ts.stem}-{digest}.qm"
    if not qm.exists():
        qm.parent.mkdir(parents=True, exist_ok=True)
        tmp = qm.with_suffix(".tmp.qm")
        subprocess.run(
            [_lrelease(), "-silent", str(ts), "-qm", str(tmp)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        tmp.replace(qm)
    return qm


def current_language() -> str:
    return _current


def chinese() -> bool:
    """Whether Chinese is shown now (for patterns and pairs chosen by language)."""
    return _current == "zh_CN"


def pick(zh: str, en: str) -> str:
    """One of a bilingual pair that came as data, for the language now shown."""
    return zh if chinese() else en


def locale() -> QLocale:
    """For dates and money: the Chinese or the English (UK-style dates) locale."""
    if _current == "zh_CN":
        return QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


def set_language(language: str) -> None:
    """Switch every window at once; safe to call repeatedly."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    app = QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language != "en":
        for ts in sorted(TRANSLATIONS.glob(f"*_{language}.ts")):
            translator = QTranslator(app)
            if not translator.load(str(compiled(ts))):
                raise RuntimeError(f"could not load the translation {ts.name}")
            app.installTranslator(translator)
            _installed.append(translator)
        for translator in _qt_translators(app, language):
            app.installTranslator(translator)
            _installed.append(translator)
    _current = language
    QLocale.setDefault(locale())
    if not _installed:  # removing translators alone sends no LanguageChange
        from PySide6.QtCore import QEvent

        for widget in _top_level_widgets():
            QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.LanguageChange))


def _qt_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Qt's own catalogues for `language`; one missing (a Qt built without
    them) leaves Qt's words in English, which is logged, not fatal."""
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translators = []
    for catalogue in QT_CATALOGUES:
        translator = QTranslator(app)
        if translator.load(f"{catalogue}_{language}", folder):
            translators.append(translator)
        else:
            log.warning("Qt's %s translation for %s is not in %s", catalogue, language, folder)
    return translators


def _top_level_widgets():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return app.allWidgets() if isinstance(app, QApplication) else []


def money(fen: int) -> str:
    """Integer fen as yuan for the current locale: ¥1,234.50."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{locale().toString(yuan)}.{cents:02d}"
