"""Witnessing (C2SP tlog-witness): co-sign another agency's checkpoint only after
checking it is consistent with the last one this node co-signed for that log.

The latest co-signed (size, root) per origin lives in the `witnessed` table;
the check and the update are one compare-and-swap (`UPDATE … WHERE size=? AND
root=?`), so two racing submissions can never roll the record back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, MalformedCheckpoint, cosign, open_checkpoint
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.keys import Signer
from citychain.node.mirror import MirrorRejected, log_keys
from citychain.node.trust import TrustState

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}", re.ASCII)


@dataclass(frozen=True)
class WitnessReply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _bad(message: str) -> WitnessReply:
    return WitnessReply(400, message + "\n")


def parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """old size line, proof lines, a blank line, then the checkpoint note."""
    if len(body) > MAX_BODY:
        raise ValueError("request too large")
    text = body.decode("utf-8")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("missing the blank line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise ValueError("the first line must be 'old <size>'")
    size_text = lines[0][4:]
    if not _SIZE_RE.fullmatch(size_text):  # str.isdigit() also takes "٣" and "²"
        raise ValueError("old size must be an ASCII decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError("too many proof lines")
    proof = [b64decode(line) for line in lines[1:]]
    if any(len(h) != 32 for h in proof):
        raise ValueError("proof hashes are 32 bytes")
    return int(size_text), proof, note


def request_body(old_size: int, proof: list[bytes], note: str) -> str:
    return "".join([f"old {old_size}\n", *(b64encode(h) + "\n" for h in proof), "\n", note])


class Witness:
    def __init__(
        self,
        conn_factory: Callable[[], sqlite3.Connection],
        signer: Signer,
        name: str,
        trust: Callable[[], TrustState],
        origin_agency: Callable[[str], str | None],
        now: Callable[[], int],
    ) -> None:
        self._conn = conn_factory
        self.signer = signer
        self.name = name  # our own origin: a witness's key name
        self._trust = trust
        self._agency_of = origin_agency
        self._now = now

    def latest(self, origin: str) -> tuple[int, bytes]:
        row = self._conn().execute("SELECT size, root FROM witnessed WHERE origin=?", (origin,)).fetchone()
        return (row[0], row[1]) if row else (0, merkle.empty_root(self._trust().suite.hash))

    def add_checkpoint(self, body: bytes) -> WitnessReply:
        try:
            old_size, proof, note = parse_request(body)
        except (ValueError, UnicodeDecodeError, EncodingError) as exc:
            return _bad(f"malformed request: {exc}")
        origin = note.split("\n", 1)[0]
        agency = self._agency_of(origin)
        if agency is None:
            return WitnessReply(404, f"unknown origin {origin!r}\n")
        try:
            keys = log_keys(self._trust(), agency)
            signed = open_checkpoint(note, origin, keys)
        except MalformedCheckpoint as exc:  # not a signed checkpoint at all: the request is malformed
            return _bad(f"malformed checkpoint: {exc}")
        except (CheckpointError, MirrorRejected) as exc:
            return WitnessReply(403, f"checkpoint not signed by {agency}: {exc}\n")
        checkpoint = signed.checkpoint
        if old_size > checkpoint.size:
            return _bad("old size is larger than the checkpoint")
        if old_size == 0 and proof:
            return _bad("the proof must be empty when old size is 0")
        known_size, known_root = self.latest(origin)
        if old_size != known_size:
            return WitnessReply(409, f"{known_size}\n", "text/x.tlog.size")
        if old_size == checkpoint.size:
            if checkpoint.root != known_root:
                return WitnessReply(409, f"{known_size}\n", "text/x.tlog.size")
        elif old_size:
            try:
                merkle.verify_consistency(
                    old_size, checkpoint.size, known_root, checkpoint.root, proof, self._trust().suite.hash
                )
            except merkle.ProofError as exc:
                return WitnessReply(422, f"consistency proof does not verify: {exc}\n")
        if not self._swap(origin, known_size, known_root, checkpoint.size, checkpoint.root, note):
            size, _ = self.latest(origin)
            return WitnessReply(409, f"{size}\n", "text/x.tlog.size")
        line = cosign(checkpoint, self.name, self.signer.private_key, self._now()).line()
        return WitnessReply(200, line)

    def _swap(self, origin: str, old_size: int, old_root: bytes, size: int, root: bytes, note: str) -> bool:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if old_size == 0 and old_root == merkle.empty_root(self._trust().suite.hash):
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO witnessed (origin, size, root, note) VALUES (?, ?, ?, ?)",
                    (origin, size, root, note),
                )
                if cursor.rowcount == 0:
                    cursor = conn.execute(
                        "UPDATE witnessed SET size=?, root=?, note=? WHERE origin=? AND size=0",
                        (size, root, note, origin),
                    )
            else:
                cursor = conn.execute(
                    "UPDATE witnessed SET size=?, root=?, note=? WHERE origin=? AND size=? AND root=?",
                    (size, root, note, origin, old_size, old_root),
                )
            swapped = cursor.rowcount == 1
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return swapped
