"""What a certificate status answer proves, checked by the verifier with its
own trust configuration (docs/protocol.md §11, *What a status answer proves*).

A node's answer carries the certificate's newest status record (the issue
record when its status never changed) and that record's inclusion proof
under the node's checkpoint. Checked, it proves that the agency signed this
record into its log before `as_of_size`; it cannot prove that no later
record exists. A second node's answer can: a proven status record of the
same certificate that one answer does not reflect refutes that answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citychain.documents.checks import Rejected, check_signer, open_log_checkpoint
from citychain.documents.checks import VerifierConfig as Config
from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, SignedCheckpoint
from citychain.log.encoding import EncodingError, b64decode
from citychain.log.records import Leaf, RecordError, parse_leaf

from .kinds import ISSUED, TRANSITIONS

CONFIRMS, BEHIND, REFUTES, CONTRADICTS = "confirms", "behind", "refutes", "contradicts"


class ProofRefused(Rejected):
    """A status answer whose record or proof does not hold: refused, never believed."""

    def __init__(self, en: str) -> None:
        super().__init__("STATUS_UNKNOWN", "节点给出的状态证明不成立", f"the node's status proof does not hold: {en}")


@dataclass(frozen=True)
class ProvenStatus:
    """One node's answer, checked: the status its newest record gives, where that
    record is, and the tree (`size`, `root`) the answer is "as of"."""

    node: str
    status: str
    seq: int
    leaf_hash: bytes
    size: int
    root: bytes


def proven_status(node: str, report: Any, issued: Leaf, config: Config) -> ProvenStatus:
    """The answer's `certificate.record` checked against the verifier's own keys:
    a record of this certificate, signed by its agency, at or after its issue,
    included in the checkpoint the agency signed, and giving the answer's status."""
    try:
        signed = open_log_checkpoint(str(report.get("checkpoint", "")), issued, config)
        certificate = report["certificate"]
        given = certificate["record"]
        seq, data = given["seq"], b64decode(given["leaf"])
        path = [b64decode(h) for h in given["inclusion"]]
        leaf = parse_leaf(data, config.hasher)  # the verifier's suite, never the answer's
    except (CheckpointError, EncodingError, RecordError, KeyError, TypeError, AttributeError) as exc:
        raise ProofRefused(f"no readable status record ({exc})") from None
    _check_place(report, signed, seq, leaf, issued)
    try:
        check_signer(leaf, config)
    except Rejected as exc:
        raise ProofRefused(f"the record is not signed by its agency ({exc.en})") from None
    try:
        merkle.verify_inclusion(leaf.hash, seq, signed.checkpoint.size, path, signed.checkpoint.root, config.hasher)
    except (merkle.ProofError, ValueError) as exc:
        raise ProofRefused(f"the inclusion proof of record {seq} does not verify ({exc})") from None
    status, body = _status_of(leaf), leaf.record.body
    said = (certificate.get("status"), certificate.get("superseded_by"), certificate.get("cause"))
    if said != (status, body.get("by"), body.get("cause")):
        raise ProofRefused(f"the answer says {said[0]!r}, its newest record gives {status!r}")
    return ProvenStatus(node, status, seq, leaf.hash, signed.checkpoint.size, signed.checkpoint.root)


def _check_place(report: dict, signed: SignedCheckpoint, seq: Any, leaf: Leaf, issued: Leaf) -> None:
    record, size = leaf.record, signed.checkpoint.size
    if report.get("as_of_size") != size:
        raise ProofRefused(f"as_of_size {report.get('as_of_size')!r} is not the checkpoint's size {size}")
    if type(seq) is not int or seq != record.seq or not issued.record.seq <= seq < size:
        raise ProofRefused(f"record position {seq!r} is not between the issue and the checkpoint")
    if record.log != issued.record.log or record.body.get("id") != issued.record.body.get("id"):
        raise ProofRefused("the record is about another certificate")
    if record.kind not in (ISSUED, *TRANSITIONS) or (record.kind == ISSUED and leaf.data != issued.data):
        raise ProofRefused(f"a {record.kind} record is not this certificate's status record")


def _status_of(leaf: Leaf) -> str:
    return "valid" if leaf.record.kind == ISSUED else TRANSITIONS[leaf.record.kind][1]


def compare(answer: ProvenStatus, other: ProvenStatus) -> str:
    """How another node's proven answer bears on `answer`: it CONFIRMS (same
    newest record), REFUTES it (a newer record `answer` does not reflect,
    whatever size either is as of), CONTRADICTS it (another leaf at the same
    place: two versions of the log), or is BEHIND it (`answer` holds a newer
    record, which refutes the other answer)."""
    if other.seq > answer.seq:
        return REFUTES
    if other.seq < answer.seq:
        return BEHIND
    if other.leaf_hash != answer.leaf_hash or (other.size == answer.size and other.root != answer.root):
        return CONTRADICTS
    return CONFIRMS
