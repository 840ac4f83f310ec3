"""A city's trust policy (C2SP tlog-policy) and the one a node home is given.

`city_policy` writes what the trust log says: every agency's log keys
(rotated ones too, revoked ones never), every agency as a witness under its
current key, and the quorum. A home's `config.toml` may instead name a policy
file (`[trust] policy`), for instance one that adds witnesses that are not the
city's agencies: the node asks those too and keeps their co-signatures, and
`trust export` hands that file on (docs/protocol.md §14).
"""

from __future__ import annotations

from pathlib import Path

from citychain.files import write_atomic
from citychain.log.policy import (
    NONE,
    Policy,
    PolicyError,
    PolicyLog,
    PolicyWitness,
    log_vkey,
    parse_policy,
    threshold_group,
    witness_vkey,
)
from citychain.log.suite import DEFAULT
from citychain.node.home import Config, Home, HomeError, origin
from citychain.node.trust import TrustState

CITY_GROUP = "city-witnesses"
SUFFIX = ".tlog-policy"


def check_suite(trust: TrustState) -> None:
    """C2SP vkeys, policies and lists have key types for Ed25519 only: a city on
    another suite (国密 SM2) has none to write (docs/protocol.md §14.7)."""
    if trust.suite != DEFAULT:
        raise PolicyError(
            f"C2SP 信任策略与日志列表没有 {trust.suite.name} 的密钥类型，本城市不发布",
            f"C2SP tlog-policy and tlog-list have no key type for suite {trust.suite.name}: this city publishes none",
        )


def city_policy(trust: TrustState, city: str, quorum: int) -> Policy:
    """The policy the trust log implies: k of the city's agencies co-sign (never a log's own)."""
    check_suite(trust)
    logs, witnesses = [], []
    for agency in trust.agencies.values():
        name = origin(city, agency.id)
        live = [k for k in agency.keys if k.revoked_from is None]
        tiles = f"{agency.url}/tlog/{agency.id}/" if agency.url else None
        logs += [PolicyLog(log_vkey(name, k.public_key), tiles) for k in live]
        if live:
            submission = f"{agency.url}/v1/witness" if agency.url else None
            witnesses.append(PolicyWitness(agency.id, witness_vkey(name, live[-1].public_key), submission))
    if quorum <= 0 or not witnesses:
        return Policy(tuple(logs), tuple(witnesses), (), NONE)
    # A log's own agency never counts for it, so k of n agencies is reachable for every log only while k < n.
    group = threshold_group(CITY_GROUP, [w.name for w in witnesses], min(quorum, len(witnesses)))
    return Policy(tuple(logs), tuple(witnesses), (group,), group.name)


def read_policy(path: Path) -> Policy:
    """A policy file an operator named; a missing or unreadable one is refused in both languages."""
    return parse_policy(_policy_bytes(path))


def _policy_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise HomeError(
            f"无法读取信任策略文件 {path}：{exc.strerror}", f"cannot read the trust policy {path}: {exc.strerror}"
        ) from None


def home_policy(home: Home, config: Config) -> Policy | None:
    """The policy `config.toml` names (`[trust] policy`, relative to the home), or None."""
    return read_policy(home.path / config.policy_file) if config.policy_file else None


def foreign_witnesses(policy: Policy | None, trust: TrustState, city: str) -> tuple[PolicyWitness, ...]:
    """The policy's witnesses with a submission prefix that are not the city's agencies."""
    if policy is None:
        return ()
    ours = {origin(city, agency) for agency in trust.agencies}
    return tuple(w for w in policy.witnesses if w.url and w.vkey.name not in ours)


def exported_policy(home: Home, config: Config, trust: TrustState) -> bytes:
    """What `trust export` writes beside the bundle: the home's own policy file
    as it is (checked first), else the city's policy from its trust log."""
    if config.policy_file:
        data = _policy_bytes(home.path / config.policy_file)
        parse_policy(data)
        return data
    comments = (
        f"CityChain trust policy of city {config.city} (C2SP tlog-policy), docs/protocol.md section 14",
        f"from its trust log of {trust.size} records; quorum {config.witness_quorum} of the city's agencies",
    )
    return city_policy(trust, config.city, config.witness_quorum).text(comments).encode()


def write_city_policy(bundle_path: Path, trust: TrustState, city: str, quorum: int) -> bool:
    """The city's policy beside a bundle written without `trust export` (the
    demo); False for a city on a suite C2SP has no key type for."""
    try:
        policy = city_policy(trust, city, quorum)
    except PolicyError:
        return False
    comments = (f"CityChain trust policy of city {city} (C2SP tlog-policy), docs/protocol.md section 14",)
    write_atomic(policy_path_beside(bundle_path), policy.text(comments).encode())
    return True


def policy_path_beside(bundle: Path) -> Path:
    """Where `trust export` writes the policy: the bundle's name with `.tlog-policy`."""
    return Path(bundle).with_suffix(SUFFIX)
