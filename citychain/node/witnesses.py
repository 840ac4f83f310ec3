"""Which co-signatures count: witnesses are the city's other agencies, with the
keys our own trust log gives them; a checkpoint is trusted online only with at
least k of them (docs/protocol.md §4)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from citychain.log.checkpoint import SignedCheckpoint, cosigners
from citychain.log.keys import public_key_from_bytes
from citychain.node.home import origin
from citychain.node.trust import TrustState


def witness_keys(trust: TrustState, city: str, log_agency: str) -> dict[str, Ed25519PublicKey]:
    """Key name → current key of every agency but the log's own."""
    keys = {}
    for agency in trust.agencies.values():
        current = [k for k in agency.keys if k.revoked_from is None]
        if agency.id != log_agency and current:
            keys[origin(city, agency.id)] = public_key_from_bytes(current[-1].public_key)
    return keys


def witnessed_by(signed: SignedCheckpoint, trust: TrustState, city: str, log_agency: str, now: int) -> dict[str, int]:
    """Witness name → co-signature time, for the valid ones only."""
    return cosigners(signed, witness_keys(trust, city, log_agency), now)


def has_quorum(signed: SignedCheckpoint, trust: TrustState, city: str, log_agency: str, k: int, now: int) -> bool:
    return len(witnessed_by(signed, trust, city, log_agency, now)) >= k
