"""Certificate record kinds through a real node: who may issue and change what,
and every status rule, checked again when another node mirrors the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST_ARGON2

from certificates.identifiers import CertificateId
from certificates.kinds import (
    ISSUED,
    PLUGIN,
    REINSTATED,
    REVOKED,
    SUPERSEDED,
    SUSPENDED,
)
from citychain.accounts.users import PermissionDenied
from citychain.log.commitments import commit_all, new_seed
from citychain.node.kinds import RecordRejected
from citychain.node.node import Node
from democity import spec

MR_USCC = "11330100MB0000001R"  # demo market-regulation


def open_node(city, agency="market-regulation", write=True) -> Node:
    return Node.open(Path(city.home(agency)), (PLUGIN,), write=write, argon2=FAST_ARGON2)


def sign_in(node, role):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def issued(serial: str, type_id="business-licence", code="11100", uscc=MR_USCC, **extra) -> tuple[str, dict]:
    cid = str(CertificateId(code, uscc, serial))
    body = {
        "id": cid,
        "type": type_id,
        "valid_from": "2026-03-01",
        "valid_until": None,
        "commitments": commit_all(new_seed(), {"company_name": "示范科技有限公司", "uscc": "91110000600037341L"}),
    }
    body.update(extra)
    body = {k: v for k, v in body.items() if v is not None}
    return ISSUED, body


def test_lifecycle_and_roles(demo_city):
    with open_node(demo_city) as node:
        clerk, supervisor = sign_in(node, "clerk"), sign_in(node, "supervisor")
        kind, body = issued("1")
        node.append(clerk, [(kind, body), issued("2")])
        cid, new_id = body["id"], issued("2")[1]["id"]
        with pytest.raises(PermissionDenied):
            node.append(clerk, [(REVOKED, {"id": cid, "reason": "x"})])
        node.append(supervisor, [(SUSPENDED, {"id": cid, "reason": "核查 / under review"})])
        node.append(supervisor, [(REINSTATED, {"id": cid, "reason": "核查完毕 / cleared"})])
        node.append(supervisor, [(SUPERSEDED, {"id": cid, "by": new_id, "reason": "变更 / correction"})])
        with pytest.raises(RecordRejected) as caught:
            node.append(supervisor, [(REINSTATED, {"id": cid, "reason": "x"})])
        assert caught.value.code == "BAD_STATE"
        status = node.store.conn.execute("SELECT status, superseded_by FROM certificates WHERE id=?", (cid,)).fetchone()
    assert status == ("superseded", new_id)


@pytest.mark.parametrize(
    "item, code",
    [
        (issued("3", uscc="11330100MB0000002W"), "BAD_ID"),  # another agency's code in the id
        (issued("3", code="11200"), "BAD_ID"),  # id of another type
        (issued("3", type_id="fishing-licence"), "ISSUER_NOT_AUTHORISED"),  # no agency holds that permission
        (issued("3", valid_until="2026-01-01"), "BAD_DATE"),
        (issued("3", commitments={"holder_name": "0" * 64}), "MALFORMED"),
        ((REVOKED, {"id": str(CertificateId("11100", MR_USCC, "999")), "reason": "x"}), "UNKNOWN_CERTIFICATE"),
    ],
)
def test_bad_records_are_refused_and_nothing_is_written(demo_city, item, code):
    with open_node(demo_city) as node:
        supervisor = sign_in(node, "supervisor")
        with pytest.raises(RecordRejected) as caught:
            node.append(supervisor, [item])
        assert caught.value.code == code
        assert node.store.head("market-regulation").size == 0


def test_an_agency_may_issue_only_its_own_types(demo_city):
    with open_node(demo_city, "public-security") as node:
        with pytest.raises(RecordRejected) as caught:
            node.append(sign_in(node, "clerk"), [issued("1", uscc="11330100MB0000002W")])
    assert caught.value.code == "ISSUER_NOT_AUTHORISED"


def test_a_mirroring_node_rebuilds_the_same_statuses(demo_city):
    with open_node(demo_city) as node:
        kind, body = issued("7")
        node.append(sign_in(node, "clerk"), [(kind, body)])
        node.append(sign_in(node, "supervisor"), [(REVOKED, {"id": body["id"], "reason": "吊销 / revoked"})])
        head = node.store.head("market-regulation")
        leaves = node.store.leaves(head.id, 0, head.size)
    with open_node(demo_city, "civil-affairs") as peer:
        peer.import_log("market-regulation", head.origin, 0, leaves, head.checkpoint)
        row = peer.store.conn.execute("SELECT status FROM certificates WHERE id=?", (body["id"],)).fetchone()
    assert row == ("revoked",)
