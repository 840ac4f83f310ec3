"""One `verify` command for every kind of CityChain document.

`main.py` hands the command the verifiers of the domain packages; each claims
its documents by their QR prefix (`TD2:` …) or by the name of the proof file
embedded in the PDF (`donation-proof.json` …), before anything is checked.
The command builds the verifier's own configuration and where to ask about
status (`VerifyPlace`) once, and the claiming verifier does the rest. So the
package that owns the command never imports the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from citychain.clock import Clock, SystemClock

from .checks import DEFAULT_MAX_AGE_S, VerifierConfig
from .pades import embedded_file_names


@dataclass(frozen=True)
class VerifyPlace:
    """The verifier's trust configuration and the node it may ask (if any)."""

    config: VerifierConfig
    home: Path | None = None  # a node home on this machine, read directly
    node: str | None = None  # or a running node's URL
    ca: str | None = None  # CA file for an HTTPS node
    max_age_s: int = DEFAULT_MAX_AGE_S
    clock: Clock = field(default_factory=SystemClock)


class Outcome(Protocol):
    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...

    def text(self) -> str: ...


class DocumentVerifier(Protocol):
    qr_prefix: str
    attachment_name: str

    def verify_qr(self, text: str, place: VerifyPlace, source: str = "qr") -> Outcome: ...

    def verify_pdf(self, data: bytes, place: VerifyPlace) -> Outcome: ...


def claiming_qr(verifiers: Sequence[DocumentVerifier], text: str | None) -> DocumentVerifier | None:
    if not text:
        return None
    return next((v for v in verifiers if text.strip().startswith(v.qr_prefix)), None)


def claiming_pdf(verifiers: Sequence[DocumentVerifier], data: bytes) -> DocumentVerifier | None:
    if not verifiers:
        return None
    names = embedded_file_names(data)
    return next((v for v in verifiers if v.attachment_name in names), None)
