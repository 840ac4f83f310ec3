"""Salted field commitments: personal data never reaches the shared ledger in
the clear (docs/protocol.md §10).

    salt_f       = first 16 bytes of HMAC-SHA256(seed, "citychain/salt/v1\\n" ‖ f)
    commitment_f = hex(SHA-256(salt_f ‖ JCS(v)))

One random 16-byte seed per document (certificate, donation); revealing salt_f and v discloses one
field and nothing about the others; erasing the seed (a deletion request)
leaves only unlinkable hashes on the ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from citychain.log.canonical import canonical

SALT_DOMAIN = b"citychain/salt/v1\n"
SEED_BYTES = 16
SALT_BYTES = 16  # 128 bits hide a value as well as 256 and keep the QR code small


def new_seed() -> bytes:
    return os.urandom(SEED_BYTES)


def salt(seed: bytes, field: str) -> bytes:
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a certificate seed is {SEED_BYTES} bytes")
    return hmac.new(seed, SALT_DOMAIN + field.encode("utf-8"), hashlib.sha256).digest()[:SALT_BYTES]


def commitment(salt_bytes: bytes, value: Any) -> str:
    return hashlib.sha256(salt_bytes + canonical(value)).hexdigest()


def commit_all(seed: bytes, values: Mapping[str, Any]) -> dict[str, str]:
    return {name: commitment(salt(seed, name), value) for name, value in values.items()}


def opens(commitment_hex: str, salt_bytes: bytes, value: Any) -> bool:
    """Does (salt, value) open this commitment? Constant-time comparison."""
    return hmac.compare_digest(commitment(salt_bytes, value), commitment_hex)
