"""Asking witnesses that are not the city's agencies (C2SP tlog-witness).

A home's trust policy (`[trust] policy`, `node.policies`) may name witnesses
run by others: any server that speaks `add-checkpoint` at its submission
prefix, known only by its verifier key. The node sends each its newest
checkpoint (with a consistency proof from the size that witness last
co-signed, learning that size from a 409 as the spec says), checks the
answer against that witness's key, and keeps the co-signature in the
checkpoint it serves and prints. A checkpoint a witness already co-signed is
not sent again, so a node stays within the witness's rate (tlog-list `qpd`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from citychain.log import merkle
from citychain.log.checkpoint import CheckpointError, add_cosignatures, cosigners, open_checkpoint, parse_checkpoint
from citychain.log.keys import public_key_from_bytes
from citychain.log.note import NoteError, parse_note
from citychain.log.policy import PolicyWitness
from citychain.net.client import Limits, NodeSession, PeerError
from citychain.net.witness import request_body
from citychain.node.policies import foreign_witnesses

log = logging.getLogger("citychain.witnesses")
MIN_GAP = 5.0  # seconds between two requests to one foreign witness (the `qpd` our tlog-list declares)
SIZE_BODY = re.compile(r"[0-9]{1,19}\n")  # a 409 answer: `text/x.tlog.size`


@dataclass
class Asked:
    """What one foreign witness last co-signed of our log."""

    size: int = 0
    note_text: str = ""  # the checkpoint body it co-signed: not sent again
    at: float = float("-inf")  # time.monotonic() of the last request


class ForeignWitnesses:
    """The node's client of the policy's foreign witnesses; `merge` keeps a
    verified co-signature (the sync loop's `merge_cosignatures`)."""

    def __init__(self, node, merge, limits: Limits = Limits()) -> None:
        self.node = node
        self.merge = merge
        self.limits = limits
        self.asked: dict[str, Asked] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def witnesses(self) -> tuple[PolicyWitness, ...]:
        node = self.node
        return foreign_witnesses(getattr(node, "policy", None), node.trust, node.config.city)

    def round(self) -> list[str]:
        """Ask each foreign witness once; a failure is that witness's only, logged and reported."""
        lines = []
        for witness in self.witnesses():
            try:
                lines += self.ask(witness)
            except PeerError as exc:
                log.warning("witness %s (%s): %s: %s", witness.name, witness.url, exc.code, exc)
                lines.append(f"witness {witness.name}: {exc.code}: {exc}")
        return lines

    def ask(self, witness: PolicyWitness) -> list[str]:
        node = self.node
        with node.lock:
            own = node.store.head(node.config.agency)
        if own is None or not own.size or not own.checkpoint:
            return []
        note = own.checkpoint
        text = parse_note(note).text
        asked = self.asked.setdefault(witness.url, Asked())
        if asked.note_text == text or time.monotonic() - asked.at < MIN_GAP:
            return []
        asked.at = time.monotonic()
        size = parse_checkpoint(text).size
        session = NodeSession(witness.url, None, self.limits)  # not in the city's PKI: the system's CAs
        try:
            for _ in range(2):  # the second try follows the size a 409 gave
                old = min(asked.size, size)
                with node.lock:
                    proof = [] if old in (0, size) else merkle.consistency_proof(node.store.reader(own.id), old, size)
                answer = session.request("POST", "/add-checkpoint", data=request_body(old, proof, note).encode())
                body = answer.body.decode("utf-8", errors="replace")
                if answer.status == 409 and SIZE_BODY.fullmatch(body):
                    asked.size = int(body)
                    if asked.size > size:
                        raise PeerError("AHEAD", f"the witness co-signed our log up to {asked.size}, beyond our {size}")
                    continue
                if answer.status != 200:
                    raise PeerError(f"WITNESS_{answer.status}", f"witness refused our checkpoint: {body.strip()[:200]}")
                signed = self._cosigned(note, body, witness, own.origin)
                asked.size, asked.note_text = size, text
                self.merge(own, signed)
                return [f"witness {witness.name}: co-signed {own.agency} at size {size}"]
        finally:
            session.close()
        return []

    def _cosigned(self, note: str, body: str, witness: PolicyWitness, origin: str):
        """Our checkpoint with the witness's answer, if the answer holds a valid
        co-signature of that witness's key (lines of other keys are ignored)."""
        node = self.node
        try:
            reply = parse_note(parse_note(note).text + "\n" + body).signatures
            signed = open_checkpoint(add_cosignatures(note, reply), origin, [node.signer.public_key])
        except (CheckpointError, NoteError, ValueError) as exc:
            raise PeerError("MALFORMED", f"witness reply is not a co-signature: {exc}") from exc
        key = public_key_from_bytes(witness.vkey.public_key)
        if not cosigners(signed, {witness.vkey.name: key}, int(node.clock.now().timestamp())):
            raise PeerError("BAD_COSIGNATURE", f"no valid co-signature of {witness.vkey.name} in the answer")
        return signed

    # -- running beside the sync loop ------------------------------------------
    def start(self, interval: float) -> None:
        if not self.witnesses():
            return
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="citychain-witnesses", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                for line in self.round():
                    log.info(line)
            except Exception:  # noqa: BLE001 - a local fault: logged, and the next round tries again
                log.exception("asking foreign witnesses failed")
            self._wake.wait(interval)
