"""Trust-log rules: key windows, rotation, revocation, suspension, permissions."""

from __future__ import annotations

import pytest

from citychain.log.keys import Signer
from citychain.log.records import GENESIS_PREV, Record, make_leaf
from citychain.node.trust import (
    KEY_REVOKED,
    KEY_ROTATED,
    PERMISSIONS_SET,
    REGISTERED,
    REINSTATED,
    REVOKED,
    ROOT_PERMISSION,
    SUSPENDED,
    TrustError,
    TrustState,
    key_json,
)

ROOT = Signer.generate()
AGENCY = Signer.generate()
NEW_KEY = Signer.generate()


class TrustLog:
    """Builds a trust log by hand, leaf by leaf, as the root would."""

    def __init__(self) -> None:
        self.state = TrustState("city-root", frozenset({ROOT.public_raw}))
        self.prev = GENESIS_PREV

    def add(self, kind: str, body: dict, time: str, signer: Signer = ROOT) -> None:
        leaf = make_leaf(Record("city-root", self.state.size, self.prev, time, kind, body), signer)
        self.state.apply(leaf)
        self.prev = leaf.hash_hex


def registration(agency: str, signer: Signer, since: str, permissions=("certificate:x",)) -> dict:
    return {
        "agency": agency,
        "name_zh": "机构",
        "name_en": "Agency",
        "keys": [key_json(signer.kid, signer.public_raw, since)],
        "permissions": list(permissions),
    }


@pytest.fixture
def log() -> TrustLog:
    log = TrustLog()
    log.add(
        REGISTERED,
        registration("city-root", ROOT, "2026-01-01T00:00:00.000Z", [ROOT_PERMISSION]),
        "2026-01-01T00:00:00.000Z",
    )
    log.add(REGISTERED, registration("water", AGENCY, "2026-01-02T00:00:00.000Z"), "2026-01-02T00:00:00.000Z")
    return log


def record_by(signer: Signer, time: str, kind: str = "certificate.issued"):
    return make_leaf(Record("water", 0, GENESIS_PREV, time, kind, {}), signer)


def test_genesis_must_be_the_pinned_root():
    state = TrustState("city-root", frozenset({ROOT.public_raw}))
    impostor = Signer.generate()
    leaf = make_leaf(
        Record(
            "city-root",
            0,
            GENESIS_PREV,
            "2026-01-01T00:00:00.000Z",
            REGISTERED,
            registration("city-root", impostor, "2026-01-01T00:00:00.000Z", [ROOT_PERMISSION]),
        ),
        impostor,
    )
    with pytest.raises(TrustError) as caught:
        state.apply(leaf)
    assert caught.value.code == "UNPINNED_ROOT"


def test_key_window_and_permissions(log):
    state = log.state
    state.judge(record_by(AGENCY, "2026-02-01T00:00:00.000Z"), "certificate:x")
    for time, permission, code in (
        ("2025-12-31T00:00:00.000Z", "certificate:x", "KEY_NOT_YET_VALID"),
        ("2026-02-01T00:00:00.000Z", "certificate:y", "ISSUER_NOT_AUTHORISED"),
    ):
        with pytest.raises(TrustError) as caught:
            state.judge(record_by(AGENCY, time), permission)
        assert caught.value.code == code
    with pytest.raises(TrustError) as caught:
        state.judge(record_by(NEW_KEY, "2026-02-01T00:00:00.000Z"), "certificate:x")
    assert caught.value.code == "UNKNOWN_KEY"


def test_rotation_retires_the_old_key_from_its_date(log):
    log.add(
        KEY_ROTATED,
        {
            "agency": "water",
            "new_key": key_json(NEW_KEY.kid, NEW_KEY.public_raw, "2026-03-01T00:00:00.000Z"),
            "retire_kid": AGENCY.kid,
            "retire_at": "2026-03-01T00:00:00.000Z",
        },
        "2026-02-15T00:00:00.000Z",
    )
    log.state.judge(record_by(AGENCY, "2026-02-28T23:59:59.999Z"), "certificate:x")  # old key, before retirement
    with pytest.raises(TrustError) as caught:
        log.state.judge(record_by(AGENCY, "2026-03-01T00:00:00.000Z"), "certificate:x")
    assert caught.value.code == "KEY_EXPIRED"
    log.state.judge(record_by(NEW_KEY, "2026-03-01T00:00:00.000Z"), "certificate:x")


def test_revoked_key_voids_signatures_from_the_compromise_on(log):
    log.add(
        KEY_REVOKED,
        {"agency": "water", "kid": AGENCY.kid, "from": "2026-02-10T00:00:00.000Z", "reason": "泄露 / leaked"},
        "2026-02-20T00:00:00.000Z",
    )
    log.state.judge(record_by(AGENCY, "2026-02-09T00:00:00.000Z"), "certificate:x")
    with pytest.raises(TrustError) as caught:
        log.state.judge(record_by(AGENCY, "2026-02-10T00:00:00.000Z"), "certificate:x")
    assert caught.value.code == "KEY_REVOKED"


def test_suspension_reinstatement_and_revocation(log):
    log.add(SUSPENDED, {"agency": "water", "reason": "审计 / audit"}, "2026-02-01T00:00:00.000Z")
    log.add(REINSTATED, {"agency": "water", "reason": "完成 / done"}, "2026-02-05T00:00:00.000Z")
    log.state.judge(record_by(AGENCY, "2026-01-20T00:00:00.000Z"), "certificate:x")  # before: still good
    with pytest.raises(TrustError) as caught:
        log.state.judge(record_by(AGENCY, "2026-02-02T00:00:00.000Z"), "certificate:x")
    assert caught.value.code == "AGENCY_SUSPENDED"
    log.state.judge(record_by(AGENCY, "2026-02-06T00:00:00.000Z"), "certificate:x")
    log.add(REVOKED, {"agency": "water", "reason": "撤销 / closed"}, "2026-03-01T00:00:00.000Z")
    with pytest.raises(TrustError) as caught:
        log.add(REINSTATED, {"agency": "water", "reason": "x"}, "2026-03-02T00:00:00.000Z")
    assert caught.value.code == "AGENCY_REVOKED"
    log.add(PERMISSIONS_SET, {"agency": "city-root", "permissions": [ROOT_PERMISSION]}, "2026-03-03T00:00:00.000Z")


@pytest.mark.parametrize(
    "kind, body, code",
    [
        (REGISTERED, registration("water", Signer.generate(), "2026-01-05T00:00:00.000Z"), "DUPLICATE"),
        (REGISTERED, {**registration("gas", AGENCY, "2026-01-05T00:00:00.000Z"), "keys": []}, "BAD_BODY"),
        (
            REGISTERED,
            {
                **registration("gas", AGENCY, "2026-01-05T00:00:00.000Z"),
                "keys": [{**key_json(AGENCY.kid, AGENCY.public_raw, "2026-01-05T00:00:00.000Z"), "kid": "00" * 8}],
            },
            "BAD_KEY",
        ),
        (SUSPENDED, {"agency": "nobody", "reason": "x"}, "UNKNOWN_ISSUER"),
        (SUSPENDED, {"agency": "city-root", "reason": "x"}, "BAD_BODY"),
        (REINSTATED, {"agency": "water", "reason": "x"}, "BAD_STATE"),
        ("trust.something", {"agency": "water"}, "UNKNOWN_KIND"),
    ],
)
def test_invalid_trust_records_are_rejected(log, kind, body, code):
    with pytest.raises(TrustError) as caught:
        log.add(kind, body, "2026-01-10T00:00:00.000Z")
    assert caught.value.code == code
    assert log.state.size == 2


def test_only_the_root_key_may_write_the_trust_log(log):
    with pytest.raises(TrustError) as caught:
        log.add(SUSPENDED, {"agency": "water", "reason": "x"}, "2026-01-10T00:00:00.000Z", signer=AGENCY)
    assert caught.value.code == "UNKNOWN_KEY"
