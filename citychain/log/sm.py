"""国密 primitives: SM2 signatures (GB/T 32918), SM3 (GB/T 32905), SM4-GCM (GB/T 32907).

SM3 and SM4 come from `cryptography` (and SM3 from hashlib where its OpenSSL
has it, which is several times cheaper per call on the Merkle hot path). SM2
comes from `gmalglib`, a C implementation built from source at set-up:
`cryptography` has no SM2, and docs/sm-libraries.md says why this one (signing
~3x faster than the next, which an SM city's append rate needs).

The key classes mirror the shape of `cryptography`'s Ed25519 ones (`sign`,
`verify` raising `InvalidSignature`, `public_key()`, `private_bytes_raw()`), so
the code that signs and checks records takes either kind of key unchanged.
Signatures are raw 64-byte r‖s with the default signer identity of GB/T 35276,
public keys 65-byte uncompressed points, private keys the 32-byte scalar.
"""

from __future__ import annotations

import functools
import hashlib

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes as _c_hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The signer identity every SM2 signature here uses: GB/T 35276's default (also
# what GmSSL's sign_with_sm3 and OpenSSL-based libraries apply when given none).
SM2_ID = b"1234567812345678"
PUBLIC_KEY_SIZE = 65
PRIVATE_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SM4_KEY_SIZE = 16
GCM_TAG_SIZE = 16

# GB/T 32918.5 curve order n: scalars and signature halves are checked against it.
SM2_ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


@functools.cache
def _sm2():
    """gmalglib's SM2 class, imported on first use: only SM2 work pays for loading it."""
    from gmalglib.sm2 import SM2

    return SM2


def _sm3_from_hashlib() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


if _sm3_from_hashlib():

    def sm3_hash(data: bytes = b""):
        """A hashlib-style SM3 object (update/digest), like hashlib.sha256."""
        return hashlib.new("sm3", data)

else:  # an OpenSSL without SM3 in hashlib: cryptography always has it

    class sm3_hash:  # noqa: N801 - the name of a hashlib constructor
        """What hashlib and hmac use of a hash object, over `cryptography`'s SM3."""

        name, digest_size, block_size = "sm3", 32, 64

        def __init__(self, data: bytes = b"", _h=None) -> None:
            self._h = _h or _c_hashes.Hash(_c_hashes.SM3())
            self._h.update(data)

        def update(self, data: bytes) -> None:
            self._h.update(data)

        def copy(self) -> sm3_hash:
            return sm3_hash(b"", self._h.copy())

        def digest(self) -> bytes:
            return self._h.copy().finalize()

        def hexdigest(self) -> str:
            return self.digest().hex()


def sm3(data: bytes) -> bytes:
    return sm3_hash(data).digest()


class Sm2PublicKey:
    """An SM2 public key; `verify` raises `InvalidSignature` like Ed25519PublicKey's."""

    __slots__ = ("_raw", "_sm2")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._sm2 = _sm2()(pk=raw, uid=SM2_ID)

    @classmethod
    def from_public_bytes(cls, raw: bytes) -> Sm2PublicKey:
        raw = bytes(raw)
        if len(raw) != PUBLIC_KEY_SIZE or raw[0] != 0x04 or not _sm2()().is_pk_valid(raw):
            raise ValueError("an SM2 public key is a 65-byte uncompressed point on the curve")
        return cls(raw)

    def public_bytes_raw(self) -> bytes:
        return self._raw

    def verify(self, signature: bytes, message: bytes) -> None:
        if len(signature) != SIGNATURE_SIZE:
            raise InvalidSignature()
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < SM2_ORDER and 0 < s < SM2_ORDER) or not self._sm2.verify(bytes(message), bytes(signature)):
            raise InvalidSignature()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)


class Sm2PrivateKey:
    """An SM2 private key; `sign` returns raw r‖s (64 bytes), randomised per call."""

    __slots__ = ("_d", "_public", "_sm2")

    def __init__(self, d: bytes) -> None:
        public = _sm2()().get_pk(d)
        self._d, self._public = d, Sm2PublicKey(public)
        self._sm2 = _sm2()(sk=d, pk=public, uid=SM2_ID)

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        d, _ = _sm2()().generate_keypair()
        return cls(d)

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> Sm2PrivateKey:
        if len(raw) != PRIVATE_KEY_SIZE:
            raise ValueError(f"an SM2 private key is 32 bytes, got {len(raw)}")
        # GB/T 32918.1: d in [1, n-2] (d = n-1 has no inverse of 1+d).
        if not 1 <= int.from_bytes(raw, "big") <= SM2_ORDER - 2:
            raise ValueError("the SM2 private scalar is out of range")
        return cls(bytes(raw))

    def private_bytes_raw(self) -> bytes:
        return self._d

    def public_key(self) -> Sm2PublicKey:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._sm2.sign(bytes(message))


@functools.lru_cache(maxsize=1024)
def sm2_public_key(raw: bytes) -> Sm2PublicKey:
    """Cached like keys.public_key_from_bytes: decoding a point costs as much as a check."""
    return Sm2PublicKey.from_public_bytes(raw)


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Ciphertext ‖ 16-byte tag, the layout AESGCM.encrypt uses, so sealed files read alike."""
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    return enc.update(plaintext) + enc.finalize() + enc.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Raises cryptography's InvalidTag on a wrong key or any changed byte, like AESGCM."""
    if len(sealed) < GCM_TAG_SIZE:
        raise InvalidTag()
    body, tag = sealed[:-GCM_TAG_SIZE], sealed[-GCM_TAG_SIZE:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(body) + dec.finalize()
