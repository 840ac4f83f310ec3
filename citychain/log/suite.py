"""A city's cryptographic suite: which signature, hash and cipher every byte uses.

Two suites (docs/protocol.md §15): `ed25519-sha256` (every city founded before
suites existed) and `sm2-sm3` (国密: SM2 signatures, SM3 hashes, SM4-GCM at
rest). A city has exactly one, named in its trust log; verifiers take it from
their own trust configuration. The suite of a public key follows from its
encoding (32 bytes Ed25519, 65 bytes an SM2 point), so code that checks a
signature against a registered key needs no suite argument, and a key of the
other suite is refused where keys are registered (`check_key`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from citychain.errors import MessageError
from citychain.log import sm


class SuiteProblem(MessageError):
    code = "SUITE_MISMATCH"


@dataclass(frozen=True)
class Suite:
    name: str
    label: str  # what people read: "Ed25519 / SHA-256", "SM2 / SM3 / SM4 (国密)"
    hash: Callable[..., Any]  # hashlib-style constructor: hash(data).digest()
    public_key_size: int
    # C2SP signed-note signature type identifiers (the bytes hashed into a key ID).
    note_type: bytes
    cosignature_type: bytes
    cipher: str  # the AEAD of sealed files: "AES-256-GCM" or "SM4-GCM"
    _public: Callable[[bytes], Any]
    _generate: Callable[[], Any]
    _private: Callable[[bytes], Any]

    def digest(self, data: bytes) -> bytes:
        return self.hash(data).digest()

    def public_key(self, raw: bytes) -> Any:
        """A key object whose `verify(signature, message)` raises InvalidSignature."""
        return self._public(raw)

    def generate_private_key(self) -> Any:
        return self._generate()

    def private_key(self, raw: bytes) -> Any:
        return self._private(raw)

    def check_key(self, raw: bytes, what: str = "key") -> None:
        """Refuse a key of the other suite: a city never mixes them."""
        if key_suite(raw) is not self:
            raise SuiteProblem(
                f"{what}不是本城市的密码套件（{self.label}）的密钥",
                f"the {what} is not a key of this city's suite ({self.label}); mixed cities are refused",
            )


ED25519_SHA256 = Suite(
    name="ed25519-sha256",
    label="Ed25519 / SHA-256",
    hash=hashlib.sha256,
    public_key_size=32,
    note_type=b"\x01",
    cosignature_type=b"\x04",
    cipher="AES-256-GCM",
    _public=Ed25519PublicKey.from_public_bytes,
    _generate=Ed25519PrivateKey.generate,
    _private=Ed25519PrivateKey.from_private_bytes,
)

# Signed-note types without an assigned byte are 0xff followed by a longer
# identifier (C2SP signed-note, "Signature types"); Ed25519's 0x01/0x04 are
# never reused for SM2.
SM2_NOTE_TYPE = b"\xffcitychain.sm2-sm3/note"
SM2_COSIGNATURE_TYPE = b"\xffcitychain.sm2-sm3/cosignature/v1"

SM2_SM3 = Suite(
    name="sm2-sm3",
    label="SM2 / SM3 / SM4 (国密)",
    hash=sm.sm3_hash,
    public_key_size=sm.PUBLIC_KEY_SIZE,
    note_type=SM2_NOTE_TYPE,
    cosignature_type=SM2_COSIGNATURE_TYPE,
    cipher="SM4-GCM",
    _public=sm.sm2_public_key,
    _generate=sm.Sm2PrivateKey.generate,
    _private=sm.Sm2PrivateKey.from_private_bytes,
)

SUITES = {s.name: s for s in (ED25519_SHA256, SM2_SM3)}
DEFAULT = ED25519_SHA256


def named(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        choices = ", ".join(SUITES)
        raise SuiteProblem(
            f"未知的密码套件 {name!r}（可选：{choices}）", f"unknown suite {name!r} (choose {choices})"
        ) from None


def key_suite(raw: bytes) -> Suite:
    """The suite a raw public key belongs to, from its encoding alone."""
    if len(raw) == ED25519_SHA256.public_key_size:
        return ED25519_SHA256
    if len(raw) == SM2_SM3.public_key_size and raw[:1] == b"\x04":
        return SM2_SM3
    raise SuiteProblem(
        f"公钥长度 {len(raw)} 字节不属于任何密码套件",
        f"a public key of {len(raw)} bytes belongs to no suite (Ed25519 keys are 32 bytes, SM2 points 65)",
    )


def of_keys(keys: Iterable[bytes]) -> Suite:
    """The one suite of a set of keys (a city's pinned roots); mixing them is refused."""
    suites = {key_suite(k) for k in keys}
    if len(suites) > 1:
        raise SuiteProblem("固定的根密钥属于不同的密码套件", "the pinned root keys belong to different suites")
    return suites.pop() if suites else DEFAULT


def raw_public(key: Any) -> bytes:
    """The raw encoding of either kind of public key object."""
    return key if isinstance(key, bytes) else key.public_bytes_raw()
