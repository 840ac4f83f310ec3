"""Fork evidence: two checkpoints of one log, both signed by its agency, that
cannot both be true — stored, and written as a file anyone can re-check.

Evidence holds note *a* (size m) and note *b* (size n ≥ m). For m = n the two
roots differ. For m < n it also holds the *full* consistency path from m to n
in b's tree (the old subtree kept even when m is a power of two); following
RFC 9162 §2.1.4.2 it yields b's root — proving the path is b's — and the root
b's tree had at size m, which differs from a's root.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from citychain.errors import MessageError
from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, open_checkpoint
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.suite import of_keys, raw_public

FORMAT = "citychain-fork-evidence/v1"


class EvidenceInvalid(MessageError, ValueError):
    """An evidence file that does not prove a fork (an operator reads why)."""

    code = "BAD_EVIDENCE"


@dataclass(frozen=True)
class ForkEvidence:
    agency: str
    origin: str
    note_a: str
    note_b: str
    path: tuple[bytes, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "agency": self.agency,
                "origin": self.origin,
                "a": self.note_a,
                "b": self.note_b,
                "path": [b64encode(h) for h in self.path],
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> ForkEvidence:
        try:
            value = json.loads(text)
            if value.get("format") != FORMAT:
                raise EvidenceInvalid("not a CityChain fork evidence file")
            return cls(
                value["agency"], value["origin"], value["a"], value["b"], tuple(b64decode(h) for h in value["path"])
            )
        except (ValueError, KeyError, TypeError, EncodingError) as exc:
            raise EvidenceInvalid(f"malformed evidence: {exc}") from exc


def verify_evidence(evidence: ForkEvidence, keys: Sequence[Ed25519PublicKey]) -> str:
    """Return a sentence saying what the evidence proves; raise if it proves nothing."""
    try:
        a = open_checkpoint(evidence.note_a, evidence.origin, keys).checkpoint
        b = open_checkpoint(evidence.note_b, evidence.origin, keys).checkpoint
    except CheckpointError as exc:
        raise EvidenceInvalid(f"a checkpoint is not signed by the log: {exc}") from exc
    if a.size > b.size:
        raise EvidenceInvalid("checkpoint a must not be larger than checkpoint b")
    if a.size == b.size:
        if a.root == b.root:
            raise EvidenceInvalid("the two checkpoints agree")
        return f"{evidence.origin}: two different trees of size {a.size}, both signed"
    if a.size == 0:
        raise EvidenceInvalid("an empty tree is consistent with every tree")
    try:
        hasher = of_keys([raw_public(k) for k in keys]).hash  # the log's keys name its city's suite
        old_root, new_root = merkle.consistency_roots(a.size, b.size, evidence.path, hasher)
    except merkle.ProofError as exc:
        raise EvidenceInvalid(f"the path is malformed: {exc}") from exc
    if new_root != b.root:
        raise EvidenceInvalid("the path does not belong to checkpoint b")
    if old_root == a.root:
        raise EvidenceInvalid("the checkpoints are consistent")
    return f"{evidence.origin}: the tree of size {b.size} does not extend the signed tree of size {a.size}"
