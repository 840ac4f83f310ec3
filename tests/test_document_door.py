"""The one door for documents (issue 18): `main.py verify` and the kiosk both
hand what they were given to `citychain.documents.door.verify_document`, which
asks the kinds the plug-ins register. A kind registered here, in a test, is
recognised by each of them — as a QR text and in a photo of its code — and
what no kind claims gets the same bilingual "not a CityChain document".

(The counter has no verifying screen: it prints documents, it does not read them.)
"""

from __future__ import annotations

import ast
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import segno

import main
from certificates.verify import Verdict, Verifier
from citychain.documents import cli as documents_cli
from citychain.documents.checks import Sentences, Spoken, VerifierConfig
from citychain.documents.door import Document, Unrecognised, VerifyPlace, document_kinds, verify_document
from citychain.node.kinds import Plugin
from ui.kiosk.backend import KioskBackend, KioskError

PREFIX = "ZZ9:"
TEXT = PREFIX + "HELLO DOOR"


@dataclass(frozen=True)
class PostcardVerdict(Spoken):
    code: str
    text_seen: str
    source: str
    status_checked: bool = True
    status_as_of: str | None = None
    sentences: ClassVar[Sentences] = Sentences({"VALID": ("明信片有效。", "The postcard is valid.")}, "", "")

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.code, "document": "postcard", "text": self.text_seen, "source": self.source}

    def text(self) -> str:
        return f"{self.code}: {self.sentence_en} {self.text_seen}"


class Postcards:
    """A kind of document only this test knows."""

    name = "postcard"
    qr_prefixes = (PREFIX,)
    attachment_name = "postcard-proof.json"

    def __init__(self) -> None:
        self.places: list[VerifyPlace] = []

    def verify_qr(self, text: str, place: VerifyPlace, source: str = "qr") -> PostcardVerdict:
        self.places.append(place)
        return PostcardVerdict("VALID", text, source)

    def verify_pdf(self, data: bytes, place: VerifyPlace) -> PostcardVerdict:
        return PostcardVerdict("VALID", "pdf", "pdf")


CONFIG = VerifierConfig("test-city", None, None)  # the test kind never looks at trust


@pytest.fixture
def postcards(monkeypatch) -> Postcards:
    """The postcard kind, plugged in where the app lists its plug-ins."""
    kind = Postcards()
    plugin = Plugin("postcards", documents=lambda: (kind,))
    real = main.plugins()
    monkeypatch.setattr(main, "plugins", lambda: (*real, plugin))
    monkeypatch.setattr("ui.local_backend.default_plugins", lambda: (*real, plugin))
    monkeypatch.setattr(documents_cli.VerifierConfig, "from_bundle", classmethod(lambda cls, path, policy=None: CONFIG))
    return kind


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


class Kiosk(KioskBackend):
    def __init__(self) -> None:
        self.verifier = Verifier(CONFIG)


def test_the_domain_packages_register_their_kinds_and_the_core_imports_none():
    names = {kind.name for kind in document_kinds(main.plugins())}
    assert names == {"certificate", "donation-receipt"}
    for path in Path(main.__file__).parent.joinpath("citychain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.split(".")[0] in ("certificates", "charity", "ui") for n in names), path


def test_main_py_verify_asks_the_registered_kinds(postcards, tmp_path, capsys):
    assert main.main(["verify", "--qr", TEXT, "--trust", "bundle", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "verdict": "VALID",
        "document": "postcard",
        "text": TEXT,
        "source": "qr",
    }
    image = tmp_path / "postcard.png"
    image.write_bytes(qr_png(TEXT))
    assert main.main(["verify", "--image", str(image), "--trust", "bundle"]) == 0
    assert capsys.readouterr().out == f"VALID: The postcard is valid. {TEXT}\n"
    assert postcards.places[-1].config is CONFIG and postcards.places[-1].status is None  # offline: --trust alone


def test_the_kiosk_asks_the_same_kinds(postcards):
    kiosk = Kiosk()
    found = kiosk.open_code(TEXT)
    assert isinstance(found, PostcardVerdict) and found.text_seen == TEXT and found.source == "qr"
    found = kiosk.open_file("image", qr_png(TEXT))
    assert isinstance(found, PostcardVerdict) and found.source == "image"
    assert postcards.places[-1].config is kiosk.verifier.config


def test_an_unknown_document_is_not_a_citychain_document_everywhere(postcards, tmp_path, capsys):
    place = VerifyPlace(CONFIG)
    kinds = document_kinds(main.plugins())
    for given in ("HELLO WORLD", b"%PDF-1.4\n%%EOF\n", qr_png("https://example.org/")):
        outcome = verify_document(given, place, kinds)
        assert isinstance(outcome, Unrecognised) and not outcome.ok and outcome.code == "MALFORMED"
        assert outcome.sentence_zh == "无法识别：这不是可信城市的文件。"
        assert outcome.sentence_en == "This is not a CityChain document."
        assert outcome.detail_zh and outcome.detail_en
    assert verify_document(Document.of(qr_png(TEXT)), place, kinds).source == "image"

    assert main.main(["verify", "--qr", "HELLO WORLD", "--trust", "bundle"]) == 1
    out = capsys.readouterr().out
    assert (
        out.startswith("MALFORMED: 无法识别：这不是可信城市的文件。\n") and "This is not a CityChain document." in out
    )
    unknown = tmp_path / "other.pdf"
    unknown.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert main.main(["verify", str(unknown), "--trust", "bundle", "--json"]) == 1
    said = json.loads(capsys.readouterr().out)
    assert said["verdict"] == "MALFORMED" and said["document"] is None
    assert said["message_en"] == "This is not a CityChain document." and said["detail_en"]

    kiosk = Kiosk()
    with pytest.raises(KioskError) as refused:  # a scan the kiosk does not know: the screen's own words
        kiosk.open_code("HELLO WORLD")
    assert refused.value.code == "UNKNOWN_CODE"
    verdict = kiosk.open_file("image", qr_png("https://example.org/"))
    assert isinstance(verdict, Verdict) and verdict.code == "MALFORMED" and verdict.source == "image"
    assert "no CityChain QR code" in verdict.detail_en
