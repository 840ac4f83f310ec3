"""Salted field commitments: personal data never reaches the shared ledger in
the clear (docs/protocol.md §10).

    salt_f       = first 16 bytes of HMAC-H(seed, "citychain/salt/v1\\n" ‖ f)
    commitment_f = hex(H(salt_f ‖ JCS(v)))

H is the city's hash: SHA-256, or SM3 in an SM2/SM3 city (same domain separation).

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
from citychain.log.merkle import Hasher

SALT_DOMAIN = b"citychain/salt/v1\n"
SEED_BYTES = 16
SALT_BYTES = 16  # 128 bits hide a value as well as 256 and keep the QR code small


def new_seed() -> bytes:
    return os.urandom(SEED_BYTES)


def salt(seed: bytes, field: str, hasher: Hasher = hashlib.sha256) -> bytes:
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a certificate seed is {SEED_BYTES} bytes")
    return hmac.new(seed, SALT_DOMAIN + field.encode("utf-8"), hasher).digest()[:SALT_BYTES]


def commitment(salt_bytes: bytes, value: Any, hasher: Hasher = hashlib.sha256) -> str:
    return hasher(salt_bytes + canonical(value)).hexdigest()


def commit_all(seed: bytes, values: Mapping[str, Any], hasher: Hasher = hashlib.sha256) -> dict[str, str]:
    return {name: commitment(salt(seed, name, hasher), value, hasher) for name, value in values.items()}


def opens(commitment_hex: str, salt_bytes: bytes, value: Any, hasher: Hasher = hashlib.sha256) -> bool:
    """Does (salt, value) open this commitment? Constant-time comparison."""
    return hmac.compare_digest(commitment(salt_bytes, value, hasher), commitment_hex)
