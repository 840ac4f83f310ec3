"""The result of a certificate check: unmistakable from across the hall.

A coloured banner with a symbol and the verdict in Chinese and English; then
the certificate as its issuer SIGNED it (the verifier's result — never the
printed text, which a forger controls), the issuer with its seal, validity,
the witnesses that co-signed the issuer's log, and how fresh the status is.
Resident ID numbers are masked until someone taps "Show full numbers": the
screen faces a public hall.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from certificates.desk import display_value
from certificates.types import BY_ID, RESIDENT_ID
from certificates.verify import Verdict
from citychain.log.masking import mask_id_number
from ui import i18n

from .text import tr
from .trace_model import city_time
from .verdicts import look, sentence, shows_content, status_could_not_be_checked
from .widgets import Screen, ScrollingPart, SealWidget, button, card, label, restyle, set_text

Names = Callable[[str], tuple[str, str]]  # agency id → (name zh, name en)


def _value(type_id: str, name: str, value: object, reveal: bool) -> str:
    licence = BY_ID.get(type_id)
    if licence is None or not any(f.name == name for f in licence.fields):
        return str(value)
    if licence.field(name).kind == RESIDENT_ID and not reveal:
        return mask_id_number(str(value))
    return display_value(licence, name, value)


def _breakable(text: str, limit: int = 300) -> str:
    """Technical detail (URLs, exception text) may wrap anywhere and stays short."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return re.sub(r"(\S{24})", "\\1\u200b", text)


class VerdictScreen(Screen):
    done = Signal()

    scrolls_itself = True

    def __init__(self, names: Names) -> None:
        super().__init__()
        self.setObjectName("verdict")
        self.names = names
        self.verdict: Verdict | None = None
        self.reveal = False
        self.banner = QFrame()
        self.banner.setObjectName("verdict-banner")
        self.banner.setProperty("role", "banner")
        self.banner.setProperty("bilingual", True)  # the verdict, in both languages for everyone in the hall
        self.symbol = label("symbol", wrap=False, name="verdict-symbol")
        self.headline = label("headline", name="verdict-headline")
        self.headline_en = label("headline2", name="verdict-headline-en")
        self.sentence = label("sentence", name="verdict-sentence")
        words = QVBoxLayout()
        words.setSpacing(2)
        for widget in (self.headline, self.headline_en, self.sentence):
            words.addWidget(widget)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(32, 16, 32, 16)
        row.addWidget(self.symbol)
        row.addSpacing(24)
        row.addLayout(words, 1)

        self.document = card()
        self.doc_title = label("big", name="verdict-type")
        self.doc_number = label("small", name="verdict-number")
        self.doc_number.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.doc_caption = label("muted", name="verdict-caption")
        self.fields_box = QWidget()
        self.fields_box.setProperty("bilingual", True)  # field names in both languages, values as signed
        self.fields_grid = QGridLayout()
        self.fields_grid.setContentsMargins(0, 0, 0, 0)
        self.fields_grid.setHorizontalSpacing(24)
        self.hidden_note = label("small", name="verdict-hidden")
        self.show_numbers = button("verdict-reveal", "bar", checkable=True)
        self.show_numbers.toggled.connect(self._toggle_reveal)
        listing = QVBoxLayout(self.fields_box)
        listing.setContentsMargins(0, 0, 8, 0)
        for widget in (self.doc_number, self.doc_caption):
            listing.addWidget(widget)
        listing.addLayout(self.fields_grid)
        listing.addWidget(self.hidden_note)
        listing.addStretch(1)
        self.fields_part = ScrollingPart(self.fields_box)
        doc = QVBoxLayout(self.document)
        doc.setContentsMargins(24, 12, 16, 12)
        head = QHBoxLayout()
        head.addWidget(self.doc_title, 1)
        head.addWidget(self.show_numbers, 0, Qt.AlignmentFlag.AlignTop)
        doc.addLayout(head)
        doc.addWidget(self.fields_part, 1)

        self.issuer = card()
        self.seal = SealWidget()
        self.issuer_name = label("big", name="verdict-issuer")
        self.facts = label("", name="verdict-facts")
        self.cosigned = label("small", name="verdict-cosigned")
        self.status_line = label("warning", name="verdict-status")
        self.advice = label("", name="verdict-advice")
        self.detail = label("small", name="verdict-detail")
        for widget in (self.doc_title, self.issuer_name, self.advice, self.detail):
            widget.setProperty("bilingual", True)  # type, issuer, advice and error sentence in both languages
        inner = QWidget()
        side = QVBoxLayout(inner)
        side.setContentsMargins(20, 12, 20, 12)
        self.issuer_part = ScrollingPart(inner)
        outer = QVBoxLayout(self.issuer)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(self.issuer_part)
        top = QHBoxLayout()
        top.addWidget(self.seal)
        top.addWidget(self.issuer_name, 1)
        side.addLayout(top)
        for widget in (self.status_line, self.advice, self.facts, self.cosigned, self.detail):
            side.addWidget(widget)
        side.addStretch(1)

        self.body = body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        body.setSpacing(24)
        body.addWidget(self.document, 3)
        body.addWidget(self.issuer, 2)
        self.finish = button("verdict-done")
        self.finish.clicked.connect(self.done)
        bottom = QHBoxLayout()
        self.hint = label("muted", name="verdict-hint")
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.finish)
        content = QWidget()
        page = QVBoxLayout(content)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(16)
        page.addWidget(self.banner)
        page.addLayout(body, 1)
        self.page = ScrollingPart(content)  # the whole page scrolls in large-text mode only
        self.page.setObjectName("verdict-page")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.setSpacing(16)
        layout.addWidget(self.page, 1)
        layout.addLayout(bottom)
        self.arrange()
        self.clear()

    # -- showing ------------------------------------------------------------------
    def arrange(self) -> None:
        """Large text: the certificate above the issuer, both open at full height
        and the page scrolling as a whole, rather than two narrow cards of clipped
        words each scrolling on its own. Standing up: one above the other too."""
        stacked = self.portrait or self.large
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight)
        for part in (self.fields_part, self.issuer_part):
            part.set_scrolls(not self.large)
        self.page.set_scrolls(self.large)

    def set_scale(self, scale: float) -> None:
        side = max(96, round(170 * scale))
        self.seal.setFixedSize(side, side)

    def show_verdict(self, verdict: Verdict) -> None:
        self.verdict, self.reveal = verdict, False
        self.show_numbers.setChecked(False)
        shown = look(verdict)
        restyle(self.banner, tone=shown.tone)
        self.symbol.setText(shown.symbol)
        self.headline.setText(shown.headline_zh)
        self.headline_en.setText(shown.headline_en)
        self.sentence.setText("\n".join(sentence(verdict)))
        self.banner.setAccessibleName(f"{shown.headline_zh} {shown.headline_en}")
        self.advice.setText("\n".join(t for t in (shown.advice_zh, shown.advice_en) if t))
        extra = [t for t in (verdict.detail_zh, verdict.detail_en) if t]
        self.detail.setText(_breakable(" / ".join(extra)))
        trusted = shows_content(verdict)
        self.seal.set_agency(verdict.issuer_name_zh or "" if trusted else "")
        self.seal.setVisible(trusted)
        self._fill_fields()
        self.retranslate()

    def _fill_fields(self) -> None:
        while self.fields_grid.count():
            widget = self.fields_grid.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        verdict = self.verdict
        if verdict is None or not shows_content(verdict):
            self.show_numbers.setVisible(False)
            return
        licence = BY_ID.get(verdict.type or "")
        order = [f.name for f in licence.fields] if licence else sorted(verdict.fields)
        row = 0
        for name in order:
            if name not in verdict.fields:
                continue
            field = licence.field(name) if licence else None
            name_label = label(
                "fieldname", f"{field.label_zh} / {field.label_en}" if field else name, name=f"fieldname-{name}"
            )
            value = label("fieldvalue", _value(verdict.type or "", name, verdict.fields[name], self.reveal))
            value.setObjectName(f"field-{name}")
            value.setAccessibleName(f"{field.label_zh if field else name}: {value.text()}")
            self.fields_grid.addWidget(name_label, row, 0, Qt.AlignmentFlag.AlignTop)
            self.fields_grid.addWidget(value, row, 1)
            row += 1
        self.fields_grid.setColumnStretch(1, 1)
        has_ids = bool(licence) and any(f.kind == RESIDENT_ID and f.name in verdict.fields for f in licence.fields)
        self.show_numbers.setVisible(has_ids)

    def _toggle_reveal(self, on: bool) -> None:
        self.reveal = on
        self._fill_fields()
        self.retranslate()

    def retranslate(self) -> None:
        set_text(self.finish, tr("Done"), description=tr("Back to the start screen"))
        self.hint.setText(tr("Scan the next code at any time."))
        set_text(
            self.show_numbers,
            tr("Hide full numbers") if self.reveal else tr("Show full numbers"),
            description=tr("Shows or hides the full resident ID numbers on this screen"),
        )
        verdict = self.verdict
        self.document.setVisible(bool(verdict and verdict.cert_id and shows_content(verdict)))
        self.issuer.setVisible(verdict is not None)
        if verdict is None:
            return
        licence = BY_ID.get(verdict.type or "")
        self.doc_title.setText(f"{licence.name_zh} · {licence.name_en}" if licence else (verdict.type or ""))
        self.doc_number.setText(tr("Number: {id}").format(id=verdict.cert_id or ""))
        if verdict.source == "id":
            caption = tr("Public record only: personal details are on the document itself, not in the ledger.")
        else:
            caption = tr("As signed by the issuing agency — compare with the document in your hand:")
        self.doc_caption.setText(caption)
        hidden = [self._label(verdict.type, name) for name in verdict.hidden]
        note = tr("Not in this code (see the printed document or its PDF): {names}")
        self.hidden_note.setText(
            note.format(names=("、" if i18n.chinese() else ", ").join(hidden))
            if hidden and verdict.source != "id"
            else ""
        )
        self.hidden_note.setVisible(bool(self.hidden_note.text()))
        self._issuer_facts(verdict)

    def _issuer_facts(self, verdict: Verdict) -> None:
        if not shows_content(verdict):
            self.issuer_name.setText(tr("Nothing in this code can be trusted, so none of it is shown."))
            self.issuer_name.setProperty("bilingual", False)  # our own words: in the interface's language
            for widget in (self.facts, self.cosigned, self.status_line):
                widget.clear()
                widget.setVisible(False)
            self.advice.setVisible(bool(self.advice.text()))
            self.detail.setVisible(bool(self.detail.text()))
            return
        self.issuer_name.setText(f"{verdict.issuer_name_zh}\n{verdict.issuer_name_en}")
        self.issuer_name.setProperty("bilingual", True)
        facts = []
        if verdict.valid_from:
            facts.append(
                tr("Valid: {start} to {end}").format(
                    start=verdict.valid_from, end=verdict.valid_until or tr("no end date")
                )
            )
        if verdict.issued_at:
            facts.append(tr("Issued: {time}").format(time=city_time(verdict.issued_at) or verdict.issued_at))
        if verdict.cosigners:
            names = [self.names(a)[0 if i18n.chinese() else 1] for a in verdict.cosigners]
            who = "、".join(names) if i18n.chinese() else ", ".join(names)
            self.cosigned.setText(tr("Ledger co-signed by: {names}").format(names=who))
        else:
            self.cosigned.clear()
        self.cosigned.setVisible(bool(self.cosigned.text()))
        if verdict.status_as_of and not status_could_not_be_checked(verdict):
            facts.append(tr("Status as of {time}").format(time=city_time(verdict.status_as_of) or verdict.status_as_of))
        self.facts.setText("\n".join(facts))
        self.facts.setVisible(bool(facts))
        if status_could_not_be_checked(verdict):
            when = city_time(verdict.status_as_of) or tr("unknown")
            words = tr("Status could not be checked. Newest ledger data held: {time}")
            self.status_line.setText(words.format(time=when))
        else:
            self.status_line.setText("")
        self.status_line.setVisible(bool(self.status_line.text()))
        self.advice.setVisible(bool(self.advice.text()))
        self.detail.setVisible(bool(self.detail.text()))

    def _label(self, type_id: str | None, name: str) -> str:
        licence = BY_ID.get(type_id or "")
        field = next((f for f in licence.fields if f.name == name), None) if licence else None
        return (field.label_zh if i18n.chinese() else field.label_en) if field else name

    def clear(self) -> None:
        """Nothing of the last person's certificate stays in any widget."""
        self.verdict, self.reveal = None, False
        self.show_numbers.setChecked(False)
        for widget in self._result_labels():
            widget.clear()
            widget.setAccessibleName("")
        self.banner.setAccessibleName("")
        self.seal.set_agency("")
        self._fill_fields()
        restyle(self.banner, tone="")
        self.retranslate()

    def _result_labels(self) -> tuple[QLabel, ...]:
        return (
            self.symbol,
            self.headline,
            self.headline_en,
            self.sentence,
            self.doc_title,
            self.doc_number,
            self.doc_caption,
            self.hidden_note,
            self.issuer_name,
            self.facts,
            self.cosigned,
            self.status_line,
            self.advice,
            self.detail,
        )

    def texts(self) -> list[str]:
        """What the screen says about a certificate now (the fields included): empty after a reset."""
        fields = [w for w in self.fields_box.findChildren(QLabel) if w.objectName().startswith("field")]
        return [w.text() for w in (*self._result_labels(), *fields) if w.text()]
