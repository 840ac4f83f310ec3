"""A donation's sealed receipt PDF, printed by the charity's own node.

Reads the donation from the node's own log, the donor's clear values from
the node's private store (`charity.donor` rows), the newest inclusion proof
and checkpoint; lays out the page (`charity.receipt_layout`), attaches the
proof file (`charity.receipt_payload.Proof`) and seals the whole with the
charity's document-signing certificate, as a certificate is sealed. The
QR payload names the donor only if the donor did not ask to stay anonymous;
an anonymous donation's receipt — page, QR and proof file — holds no name.
"""

from __future__ import annotations

import weakref
from typing import Any

from citychain.clock import parse_time
from citychain.documents.city_time import city_datetime
from citychain.documents.pades import SealIdentity, seal_pdf
from citychain.errors import BilingualError
from citychain.log import merkle
from citychain.log.records import parse_leaf
from citychain.node.node import Node
from citychain.pki.ca import load_cert, load_sealed_key

from .privacy import mask_id_number, person_value
from .receipt_layout import PrintedReceipt, render_receipt
from .receipt_payload import (
    PROOF_FILENAME,
    TLOG_PROOF_FILENAME,
    Donor,
    Proof,
    donor_from_seed,
    encode_qr_text,
    qr_payload,
)
from .receipts import parse_receipt

PRIVATE_NS = "charity.donor"

_SEALS: weakref.WeakKeyDictionary[Node, SealIdentity] = weakref.WeakKeyDictionary()


class ReceiptError(BilingualError):
    """No seal, or no such receipt: 404 for what is unknown, else 422."""

    @property
    def status(self) -> int:
        return 404 if self.code.startswith("UNKNOWN_") else 422


def seal_identity(node: Node) -> SealIdentity:
    """The charity's document-signing certificate and key, unsealed once per node."""
    seal = _SEALS.get(node)
    if seal is None:
        home = node.home
        if not home.seal_key_path.exists():
            raise ReceiptError(
                "NO_SEAL", "本节点还没有电子印章证书（node seal）", "this node has no document-signing certificate yet"
            )
        seal = SealIdentity(
            load_cert(home.seal_cert_path),
            load_sealed_key(home.seal_key_path, node.passphrase()),
            load_cert(home.city_ca_path),
        )
        _SEALS[node] = seal
    return seal


def city_time_text(time: str) -> str:
    """'2026-03-01T08:00:00.000Z' → '2026-03-01 16:00:00 (UTC+08:00)'."""
    moment = city_datetime(parse_time(time))
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


def _donation(node: Node, receipt: str) -> tuple[int, int, str | None, str, str]:
    """(log id, seq, reversed_by, fund name zh, en) of a donation in this node's own log."""
    head = node.store.head(node.config.agency)
    row = (
        None
        if head is None
        else node.store.conn.execute(
            "SELECT d.seq, d.refunded, d.reversed_by, f.name_zh, f.name_en FROM charity_donations d "
            "JOIN charity_funds f ON f.log = d.log AND f.id = d.fund WHERE d.log = ? AND d.receipt = ?",
            (head.id, receipt),
        ).fetchone()
    )
    if row is None:
        raise ReceiptError(
            "UNKNOWN_RECEIPT",
            f"本机构没有收据 {receipt} 的捐赠记录",
            f"this organisation recorded no donation with receipt {receipt}",
        )
    seq, refunded, reversed_by, name_zh, name_en = row
    if reversed_by:
        raise ReceiptError(
            "REVERSED",
            f"捐赠 {receipt} 已被冲正（{reversed_by}），不能开具收据",
            f"donation {receipt} was reversed ({reversed_by}); no receipt can be printed",
        )
    if refunded:
        raise ReceiptError(
            "REFUNDED",
            f"捐赠 {receipt} 已有退款，收据金额将不准确，不能开具",
            f"part of donation {receipt} was refunded; a receipt would overstate the gift",
        )
    return head.id, seq, reversed_by, name_zh, name_en


def _donor(private_store: Any, receipt: str, body: dict[str, Any], hasher: merkle.Hasher) -> Donor | None:
    if body["anonymous"]:
        return None
    row = private_store.get(PRIVATE_NS, receipt)
    if row is None:
        raise ReceiptError(
            "DONOR_ERASED",
            "此捐赠的捐赠人信息已不在本节点（可能已按申请删除），无法开具实名收据",
            "the donor's details are no longer on this node (erased on request?); a named receipt cannot be printed",
        )
    donor = donor_from_seed(bytes.fromhex(row["seed"]), person_value(row["name"], row.get("id_number")), hasher)
    if donor.commitment(hasher) != body["donor"]:
        raise ReceiptError(
            "DONOR_MISMATCH",
            "本节点保存的捐赠人信息与账本上的承诺不符",
            "the donor details kept on this node do not match the commitment on the ledger",
        )
    return donor


def receipt_proof(node: Node, receipt: str, private_store: Any) -> Proof:
    """Leaf, donor disclosure, fund names and the newest proof of the donation."""
    code = str(parse_receipt(receipt))
    log_id, seq, _, fund_zh, fund_en = _donation(node, code)
    head = node.store.head(node.config.agency)
    leaf = parse_leaf(node.store.leaves(log_id, seq, seq + 1)[0], node.store.hasher)
    donor = _donor(private_store, code, leaf.record.body, node.config.suite.hash)
    path = merkle.inclusion_proof(node.store.reader(log_id), seq, head.size)
    return Proof(leaf, donor, fund_zh, fund_en, seq, head.size, tuple(path), head.checkpoint or "")


def printed_receipt(node: Node, proof: Proof) -> PrintedReceipt:
    body, record = proof.leaf.record.body, proof.leaf.record
    charity = node.trust.agency(node.config.agency)
    donor = proof.donor
    return PrintedReceipt(
        receipt=body["receipt"],
        charity_zh=charity.name_zh,
        charity_en=charity.name_en,
        donor_name=donor.value["name"] if donor else None,
        donor_id_masked=mask_id_number(donor.value["id_number"]) if donor and "id_number" in donor.value else None,
        amount_fen=body["amount_fen"],
        fund_zh=proof.fund_name_zh,
        fund_en=proof.fund_name_en,
        channel=body["channel"],
        donated_at=city_time_text(record.time),
        log=record.log,
        seq=record.seq,
        leaf_hash=proof.leaf.hash_hex,
        qr_text=encode_qr_text(qr_payload(proof.leaf, donor), node.config.suite),
    )


def receipt_pdf(node: Node, receipt: str, private_store: Any) -> bytes:
    """The sealed receipt PDF of the donation with this receipt code on this
    (the charity's) node; raises ReceiptError (bilingual) if it cannot be printed."""
    proof = receipt_proof(node, receipt, private_store)
    when = node.clock.now()
    printed = printed_receipt(node, proof)
    page = render_receipt(printed, creation_date=when)
    reason = f"公益捐赠收据 / donation receipt {proof.leaf.record.body['receipt']}"
    files = proof.files(printed.qr_text)
    tlog = (TLOG_PROOF_FILENAME, files[TLOG_PROOF_FILENAME])
    return seal_pdf(
        page, files[PROOF_FILENAME], seal_identity(node), when, reason, attachment_name=PROOF_FILENAME, tlog_proof=tlog
    )


def receipt_qr_text(node: Node, receipt: str, private_store: Any) -> str:
    """The text of the receipt's QR code (for a screen, or a kiosk test)."""
    proof = receipt_proof(node, receipt, private_store)
    return encode_qr_text(qr_payload(proof.leaf, proof.donor), node.config.suite)
