"""Reading the verdict and the key instructions aloud (适老化), with espeak-ng.

PySide6's speech module is not in the Essentials we pin, so the kiosk runs
`espeak-ng` (Debian package `espeak-ng`; voices `cmn` and `en`). Speech is off
until someone taps the button. Each new screen stops what was being said and
says its own words; the process runs on a task of its own (`ui.tasks`), never
on the GUI thread. A kiosk without espeak-ng or without a sound device says
nothing: espeak-ng exits with an error, which is dropped here on purpose
(a silent kiosk still shows every word).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget

from certificates.verify import Verdict
from ui import i18n
from ui.tasks import Cancelled, Task, Tasks

from .verdicts import look, sentence

VOICES = {"zh": "cmn", "en": "en"}
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: the hall is noisy, listeners may be old
LONGEST_S = 120  # a stuck sound server never keeps a process (or the task) for ever
_SYMBOLS = str.maketrans("", "", "▣⇩⌨¥▤⌂◐✓✗⌫↻·")


@dataclass(frozen=True)
class Utterance:
    language: str  # "zh" or "en"
    text: str


def program() -> str | None:
    return shutil.which("espeak-ng")


def command(utterance: Utterance, wav: Path | None = None) -> list[str]:
    """The espeak-ng command line; `wav`: write the audio there instead of playing it."""
    text = " ".join(utterance.text.translate(_SYMBOLS).split())
    argv = [program() or "espeak-ng", "-v", VOICES[utterance.language], "-s", str(WORDS_PER_MINUTE)]
    return argv + (["-w", str(wav)] if wav else []) + ["--", text]


def render(utterance: Utterance, wav: Path) -> None:
    """Speak into a WAV file (tests, and anyone checking a voice is installed)."""
    subprocess.run(command(utterance, wav), check=True, capture_output=True, timeout=LONGEST_S)


def speak(utterances: tuple[Utterance, ...], progress: Callable[[int, int], None]) -> None:
    """Say each utterance in turn; `progress` (a task's) raises `Cancelled` once a newer screen speaks."""
    for utterance in utterances:
        try:
            process = subprocess.Popen(
                command(utterance), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError:
            return  # no espeak-ng after all: silence
        try:
            for _ in range(LONGEST_S * 10):
                try:
                    process.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    progress(0, 0)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode != 0:
            return  # no sound device (or no voice): say nothing more, never fail


class Speaker:
    """The kiosk's voice: off by default; `say` replaces whatever is being said."""

    def __init__(self, tasks: Tasks | None = None) -> None:
        self.tasks = tasks or Tasks(max_threads=1)
        self.enabled = False
        self._task: Task | None = None

    @property
    def available(self) -> bool:
        return program() is not None

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if not on:
            self.stop()

    def say(self, utterances: tuple[Utterance, ...]) -> None:
        self.stop()
        if self.enabled and utterances and self.available:
            self._task = self.tasks.run(speak, utterances, failed=_silent)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


def _silent(exc: BaseException) -> None:
    """A cancelled utterance ends in `Cancelled`; nothing from espeak-ng is a reason to stop the kiosk."""
    if not isinstance(exc, Cancelled):
        print(f"kiosk speech: {type(exc).__name__}", file=sys.stderr)  # the type only: no values in logs


def verdict_words(verdict: Verdict) -> tuple[Utterance, ...]:
    """The verdict in both languages, each in its own voice: what it is, then what to do."""
    shown = look(verdict)
    zh, en = sentence(verdict)
    return (
        Utterance("zh", "。".join(t for t in (shown.headline_zh, zh, shown.advice_zh) if t)),
        Utterance("en", ". ".join(t for t in (shown.headline_en, en, shown.advice_en) if t)),
    )


SPOKEN_ROLES = ("hero", "title", "muted", "big", "error")  # a screen's headings, instructions and problems
MOST_LABELS = 4  # the key instructions, not every line of a long page


def screen_words(screen: QWidget) -> tuple[Utterance, ...]:
    """What a screen says when it opens: a verdict, or its first headings and instructions."""
    verdict = getattr(screen, "verdict", None)
    if isinstance(verdict, Verdict):
        return verdict_words(verdict)
    shown = [
        w.text()
        for w in screen.findChildren(QLabel)
        if w.property("role") in SPOKEN_ROLES and w.text() and w.isVisibleTo(screen)
    ]
    return instructions(*shown[:MOST_LABELS])


def instructions(*texts: str) -> tuple[Utterance, ...]:
    """A screen's instructions, in the language it shows them in."""
    words = " ".join(t for t in texts if t)
    return (Utterance("zh" if i18n.chinese() else "en", words),) if words else ()
