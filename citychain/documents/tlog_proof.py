"""A document's ledger proof as a C2SP tlog-proof file (`c2sp.org/tlog-proof@v1`,
docs/protocol.md §11, *Ledger proof file*).

The file names an entry's index, its inclusion proof and the signed checkpoint
it leads to, in text any transparency-log tool reads; its `extra` line carries
our signed leaf. The spec leaves `extra` unauthenticated, so reading here only
checks the form: the verifier checks the leaf, the proof and the checkpoint
(`checks.check_embedded_proof`) and that the document's own QR code and
values open that very leaf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citychain.log.checkpoint import CheckpointError, parse_checkpoint
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.note import NoteError, parse_note

HEADER = "c2sp.org/tlog-proof@v1"
EXTENSION = ".tlog-proof"
MAX_PROOF_BYTES = 256 * 1024
MAX_PATH = 64  # an inclusion path is at most one hash per level of a 2^63-leaf tree
_INDEX_RE = re.compile(r"index (0|[1-9][0-9]{0,18})\Z", re.ASCII)


class TlogProofError(ValueError):
    """Not a well-formed tlog-proof file (the document is MALFORMED)."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]  # RFC 6962 inclusion proof, from the leaf's sibling up
    checkpoint: str  # the signed note, verbatim, co-signatures included
    extra: bytes | None = None  # ours: the signed leaf's bytes

    @property
    def size(self) -> int:
        return parse_checkpoint(parse_note(self.checkpoint).text).size

    def to_text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + b64encode(self.extra))
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.path)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(data: bytes) -> TlogProof:
    """The proof in `data`, read strictly: the one spelling our writer makes
    and the spec allows; raises TlogProofError."""
    try:
        if len(data) > MAX_PROOF_BYTES:
            raise TlogProofError("the tlog-proof file is too large")
        head, blank, checkpoint = data.decode("utf-8").partition("\n\n")
        lines = head.split("\n")
        if not blank or lines[0] != HEADER:
            raise TlogProofError(f"not a {HEADER} file")
        extra = None
        if len(lines) > 1 and lines[1].startswith("extra "):
            extra = b64decode(lines[1][len("extra ") :])
            if not extra:
                raise TlogProofError("the extra line carries no data")
            lines.pop(1)
        found = _INDEX_RE.match(lines[1]) if len(lines) > 1 else None
        if found is None:
            raise TlogProofError("the index line is missing or malformed")
        path = tuple(b64decode(line) for line in lines[2:])
        if len(path) > MAX_PATH or any(len(h) != 32 for h in path):
            raise TlogProofError("the inclusion proof is not a list of SHA-256 hashes")
        proof = TlogProof(int(found.group(1)), path, checkpoint, extra)
        if proof.index >= proof.size:
            raise TlogProofError("the index is not inside the checkpoint's tree")
        return proof
    except (UnicodeDecodeError, EncodingError, NoteError, CheckpointError) as exc:
        raise TlogProofError(f"the tlog-proof file is malformed: {exc}") from None
