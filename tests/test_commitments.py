"""Salted field commitments exactly as docs/protocol.md §10 gives them."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from citychain.log.commitments import commit_all, commitment, new_seed, opens, salt

SEED = bytes(range(16))
VECTOR = {
    "holder_name": (
        "张三",
        "bfcdf7a4229c6d50342ad04fcc7f5c9e",
        "c499cad26b40446ec91dd0c57e18d9ebff295fa238286fd56d610d911443aa44",
    ),
    "registered_capital": (
        1000000,
        "8f4d8976e2d878419b3427b65d3b699f",
        "3fc44d52c8c6711c5da3eb684ddee72e812cfbb77f0196b3bb32b41305e8a4ea",
    ),
}


def test_vector_matches_the_definition_and_the_document():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text("utf-8")
    for field, (value, salt_hex, commit_hex) in VECTOR.items():
        independent = hmac.new(SEED, b"citychain/salt/v1\n" + field.encode(), hashlib.sha256).digest()[:16]
        assert salt(SEED, field).hex() == independent.hex() == salt_hex
        assert commitment(bytes.fromhex(salt_hex), value) == commit_hex
        assert salt_hex in doc and commit_hex in doc
    assert commit_all(SEED, {f: v[0] for f, v in VECTOR.items()}) == {f: v[2] for f, v in VECTOR.items()}


def test_disclosing_one_field_opens_only_that_one():
    seed = new_seed()
    commits = commit_all(seed, {"holder_name": "李四", "holder_id": "11010519491231002X"})
    name_salt = salt(seed, "holder_name")
    assert opens(commits["holder_name"], name_salt, "李四")
    assert not opens(commits["holder_name"], name_salt, "李五")
    assert not opens(commits["holder_id"], name_salt, "11010519491231002X")
    assert commit_all(new_seed(), {"holder_name": "李四"})["holder_name"] != commits["holder_name"]  # unlinkable


def test_seed_length_and_values_are_checked():
    with pytest.raises(ValueError):
        salt(b"short", "holder_name")
    with pytest.raises(ValueError):
        commitment(salt(SEED, "x"), 1.5)  # no floats in JCS
