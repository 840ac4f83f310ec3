"""Record and leaf bytes exactly as docs/protocol.md gives them, and strict parsing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from citychain.log.keys import Signer
from citychain.log.records import (
    GENESIS_PREV,
    Record,
    RecordError,
    check_chain,
    make_leaf,
    parse_leaf,
    verify_leaf_signature,
)

SIGNER = Signer.from_private(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
RECORD = Record(
    "market-regulation",
    0,
    GENESIS_PREV,
    "2026-03-01T08:00:00.000Z",
    "certificate.issued",
    {"id": "示例-0001", "amount_fen": 12345, "flags": [True, None]},
)
LEAF = (
    '{"kid":"56475aa75463474c","record":{"body":{"amount_fen":12345,"flags":[true,null],"id":"示例-0001"},'
    '"kind":"certificate.issued","log":"market-regulation","prev":"' + "0" * 64 + '","seq":0,'
    '"time":"2026-03-01T08:00:00.000Z","v":1},"sig":"4IGo8lrrAsoP0Mn/zNBUn3WV9LpU2vfjPVb8e/bb0/2KaQZnX46s'
    '/eXKE5DqR/hAz6oUudmn68gWVw3eNfxSDg=="}'
).encode()
LEAF_HASH = "4bce96c3d1bb8dc4f87dbe99f45141ecd257811c5ae63b98d9f2297b65663291"


def test_protocol_test_vector():
    leaf = make_leaf(RECORD, SIGNER)
    assert SIGNER.kid == "56475aa75463474c"
    assert leaf.data == LEAF
    assert leaf.hash_hex == LEAF_HASH


def test_parse_round_trip_and_signature():
    leaf = parse_leaf(LEAF)
    assert leaf.record == RECORD and leaf.kid == SIGNER.kid and leaf.hash_hex == LEAF_HASH
    assert verify_leaf_signature(leaf, SIGNER.public_key)
    other = Signer.generate()
    assert not verify_leaf_signature(leaf, other.public_key)


@pytest.mark.parametrize(
    "mutate, code",
    [
        (lambda b: b.replace(b'"v":1', b'"v":2'), "bad_version"),
        (lambda b: b.replace(b'"seq":0', b'"seq":-1'), "bad_seq"),
        (lambda b: b.replace(b'"prev":"0000', b'"prev":"000G'), "bad_prev"),
        (lambda b: b.replace(b"08:00:00.000Z", b"08:00:00Z"), "bad_time"),
        (lambda b: b.replace(b'"certificate.issued"', b'"Certificate"'), "bad_kind"),
        (lambda b: b.replace(b'"log":"market-regulation"', b'"log":"Market"'), "bad_log"),
        (lambda b: b.replace(b'"kid":"56475aa75463474c"', b'"kid":"56475AA75463474C"'), "bad_kid"),
        (lambda b: b.replace(b"Dg==", b"Dg"), "bad_sig"),
        (lambda b: b.replace(b'"v":1}', b'"v":1,"x":1}'), "bad_record"),
        (lambda b: b.replace(b'"seq":0', b'"seq":0.0'), "not_canonical"),
        (lambda b: b.replace(b'{"kid"', b'{ "kid"'), "not_canonical"),
        (lambda b: b[:-1], "not_canonical"),
        (lambda b: b.replace(b'"body":{', b'"body":{"z":1,"z":2,'), "not_canonical"),
    ],
)
def test_malformed_leaves_are_rejected_with_a_precise_code(mutate, code):
    with pytest.raises(RecordError) as caught:
        parse_leaf(mutate(LEAF))
    assert caught.value.code == code


def test_chain_rules():
    leaf = parse_leaf(LEAF)
    check_chain(leaf, "market-regulation", 0, None)
    with pytest.raises(RecordError, match="seq"):
        check_chain(leaf, "market-regulation", 1, None)
    with pytest.raises(RecordError, match="prev"):
        check_chain(leaf, "market-regulation", 0, b"\x01" * 32)
    with pytest.raises(RecordError, match="belongs to log"):
        check_chain(leaf, "civil-affairs", 0, None)


def test_the_protocol_document_prints_this_vector():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text("utf-8")
    assert LEAF.decode() in doc and LEAF_HASH in doc and SIGNER.kid in doc
