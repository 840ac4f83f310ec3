"""Which co-signatures count: witnesses are the city's other agencies, with the
keys our own trust log gives them; a checkpoint is trusted online only with at
least k of them (docs/protocol.md §4)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from citychain.log.checkpoint import SignedCheckpoint, cosigners
from citychain.log.keys import public_key_from_bytes
from citychain.log.policy import Policy
from citychain.node.home import origin
from citychain.node.trust import TrustState


def witness_keys(
    trust: TrustState, city: str, log_agency: str, policy: Policy | None = None
) -> dict[str, Ed25519PublicKey]:
    """Key name → current key of every agency but the log's own, and of the
    other witnesses a trust policy names (docs/protocol.md §14)."""
    keys = {}
    for agency in trust.agencies.values():
        current = [k for k in agency.keys if k.revoked_from is None]
        if agency.id != log_agency and current:
            keys[origin(city, agency.id)] = public_key_from_bytes(current[-1].public_key)
    ours = trust_names(trust, city) | {origin(city, log_agency)}
    for witness in policy.witnesses if policy is not None else ():
        if witness.vkey.name not in ours:
            keys[witness.vkey.name] = public_key_from_bytes(witness.vkey.public_key)
    return keys


def trust_names(trust: TrustState, city: str) -> set[str]:
    """The witness names of the city's agencies: a policy cannot give them another key."""
    return {origin(city, agency) for agency in trust.agencies}


def witnessed_by(
    signed: SignedCheckpoint, trust: TrustState, city: str, log_agency: str, now: int, policy: Policy | None = None
) -> dict[str, int]:
    """Witness name → co-signature time, for the valid ones only."""
    return cosigners(signed, witness_keys(trust, city, log_agency, policy), now)


def has_quorum(signed: SignedCheckpoint, trust: TrustState, city: str, log_agency: str, k: int, now: int) -> bool:
    return len(witnessed_by(signed, trust, city, log_agency, now)) >= k


def quorum_shortfall(
    signed: SignedCheckpoint,
    trust: TrustState,
    city: str,
    log_agency: str,
    k: int,
    now: int,
    policy: Policy | None = None,
) -> tuple[str, str] | None:
    """Why a checkpoint lacks its co-signatures (zh, en), or None: a trust
    policy, when there is one, wins over the bare count k (docs/protocol.md §14)."""
    if policy is not None:
        return policy.shortfall(signed, now)
    count = len(witnessed_by(signed, trust, city, log_agency, now))
    if count >= k:
        return None
    return (
        f"检查点有 {count} 个见证人联署，需要 {k} 个",
        f"the checkpoint has {count} witness co-signatures; {k} are needed",
    )
