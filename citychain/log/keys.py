"""Signing keys (Ed25519, or SM2 in a 国密 city): key ids, and private keys encrypted at rest.

The encrypted key file is a small JSON envelope (scrypt + AES-256-GCM, both from
`cryptography`). We do not use encrypted PKCS#8 because `cryptography` writes it
with only 2,048 PBKDF2 rounds and offers no way to raise them; scrypt is
memory-hard, and GCM authenticates the whole envelope (a wrong passphrase and a
tampered file are both caught, never silently yield a different key). In an
SM2/SM3 city the envelope holds an SM2 key sealed with SM4-GCM under the same KDF.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from citychain.errors import MessageError
from citychain.files import write_atomic
from citychain.log import sm
from citychain.log.encoding import b64decode, b64encode
from citychain.log.suite import DEFAULT, SUITES, Suite, SuiteProblem, key_suite, raw_public

KEY_FILE_FORMAT = "citychain-key/v1"
PASSPHRASE_ENV = "CITYCHAIN_PASSPHRASE"
PASSPHRASE_FILE_ENV = "CITYCHAIN_PASSPHRASE_FILE"


class KeyProblem(MessageError):
    """Base for key problems; messages are shown to operators as they are."""

    code = "KEY_PROBLEM"


class WrongPassphrase(KeyProblem):
    code = "WRONG_PASSPHRASE"

    def __init__(self, path: Path) -> None:
        super().__init__(f"口令错误或密钥文件已损坏：{path}", f"wrong passphrase, or the key file {path} is damaged")


class KeyFileInvalid(KeyProblem):
    code = "KEY_FILE_INVALID"


class NoPassphrase(KeyProblem):
    code = "NO_PASSPHRASE"

    def __init__(self) -> None:
        super().__init__(
            "需要节点口令：请设置 CITYCHAIN_PASSPHRASE 或 CITYCHAIN_PASSPHRASE_FILE，或在终端中运行",
            "the node passphrase is needed: set CITYCHAIN_PASSPHRASE or "
            "CITYCHAIN_PASSPHRASE_FILE, or run from a terminal",
        )


@dataclass(frozen=True)
class KdfCost:
    """scrypt parameters, stored in each key file so they can change later."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    @classmethod
    def cheap(cls) -> KdfCost:
        """For tests and throw-away demo homes only: still scrypt, ~60x faster."""
        return cls(n=2**11)


def public_bytes(key: Ed25519PublicKey | sm.Sm2PublicKey) -> bytes:
    if isinstance(key, sm.Sm2PublicKey):
        return key.public_bytes_raw()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@functools.lru_cache(maxsize=1024)
def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey | sm.Sm2PublicKey:
    """Either kind of key, by its encoding (32 bytes Ed25519, 65 an SM2 point).

    Cached: a catch-up checks every record against one of a few keys, and
    loading the key cost a tenth of checking the signature. The key object is
    immutable; a raw key of a wrong length still raises every time."""
    try:
        return key_suite(raw).public_key(raw)
    except (SuiteProblem, ValueError) as exc:
        raise KeyFileInvalid(f"not a public key of any suite: {exc}") from None


def kid(key: Ed25519PublicKey | sm.Sm2PublicKey | bytes) -> str:
    """docs/protocol.md §2 (Identifiers): hex of the first 8 bytes of the suite's hash
    (SHA-256, or SM3 for an SM2 key) of the raw public key."""
    raw = raw_public(key)
    return key_suite(raw).digest(raw)[:8].hex()


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Signer:
    """A private key with its id, so callers never recompute the kid per record."""

    private_key: Ed25519PrivateKey | sm.Sm2PrivateKey
    public_key: Ed25519PublicKey | sm.Sm2PublicKey
    kid: str

    @classmethod
    def from_private(cls, key: Ed25519PrivateKey | sm.Sm2PrivateKey) -> Signer:
        pub = key.public_key()
        return cls(key, pub, kid(pub))

    @classmethod
    def generate(cls, suite: Suite = DEFAULT) -> Signer:
        return cls.from_private(suite.generate_private_key())

    @functools.cached_property
    def suite(self) -> Suite:  # cached: make_leaf asks once per record
        return key_suite(self.public_raw)

    @property
    def public_raw(self) -> bytes:
        return public_bytes(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


# The AEADs a sealed file may name, by their key length (both: 12-byte nonce,
# ciphertext ‖ 16-byte tag).
KEY_SIZES = {"AES-256-GCM": 32, "SM4-GCM": sm.SM4_KEY_SIZE}


@dataclass(frozen=True)
class Aead:
    """AES-256-GCM under a 32-byte key, SM4-GCM under a 16-byte one."""

    key: bytes

    @classmethod
    def new(cls, suite: Suite) -> Aead:
        return cls(os.urandom(KEY_SIZES[suite.cipher]))

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if len(self.key) == sm.SM4_KEY_SIZE:
            return sm.sm4_gcm_encrypt(self.key, nonce, data, aad)
        return AESGCM(self.key).encrypt(nonce, data, aad)

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if len(self.key) == sm.SM4_KEY_SIZE:
            return sm.sm4_gcm_decrypt(self.key, nonce, data, aad)
        return AESGCM(self.key).decrypt(nonce, data, aad)


def derive_key(passphrase: str, salt: bytes, cost: KdfCost, length: int = 32) -> bytes:
    """The cipher key that seals a file at rest (see `seal`)."""
    return Scrypt(salt=salt, length=length, n=cost.n, r=cost.r, p=cost.p).derive(passphrase.encode("utf-8"))


def seal(plaintext: bytes, passphrase: str, aad: bytes, cost: KdfCost, cipher: str = "AES-256-GCM") -> dict:
    """The `kdf` and `cipher` members every sealed file of a home shares
    (key files, sealed EC keys, sealed secrets): scrypt, then AES-256-GCM
    (SM4-GCM in an SM2/SM3 city)."""
    if not passphrase:
        raise NoPassphrase()
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = Aead(derive_key(passphrase, salt, cost, KEY_SIZES[cipher])).encrypt(nonce, plaintext, aad)
    return {
        "kdf": {"name": "scrypt", "n": cost.n, "r": cost.r, "p": cost.p, "salt": b64encode(salt)},
        "cipher": {"name": cipher, "nonce": b64encode(nonce), "ciphertext": b64encode(sealed)},
    }


def unseal(env: dict, passphrase: str, aad: bytes, source: Path | str) -> bytes:
    """Open what `seal` wrote; a malformed envelope and a wrong passphrase say so apart."""
    try:
        kdf, cipher = env["kdf"], env["cipher"]
        if kdf["name"] != "scrypt":
            raise ValueError(f"unsupported key derivation {kdf['name']!r}")
        if cipher["name"] not in KEY_SIZES:
            raise ValueError(f"unsupported cipher {cipher['name']!r}")
        cost = KdfCost(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
        salt, nonce, sealed = b64decode(kdf["salt"]), b64decode(cipher["nonce"]), b64decode(cipher["ciphertext"])
        key = derive_key(passphrase, salt, cost, KEY_SIZES[cipher["name"]])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileInvalid("密钥文件格式错误", f"malformed key file {source}: {exc}") from exc
    try:
        return Aead(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise WrongPassphrase(Path(source)) from None


def _read_envelope(path: Path, fmt: str, what: str) -> dict:
    try:
        env = json.loads(Path(path).read_bytes())
    except ValueError as exc:
        raise KeyFileInvalid("密钥文件格式错误", f"malformed key file {path}: {exc}") from exc
    if not isinstance(env, dict) or env.get("format") != fmt:
        raise KeyFileInvalid(f"{path} is not a CityChain {what}")
    return env


def save_key(path: Path, signer: Signer, passphrase: str, cost: KdfCost = KdfCost()) -> None:
    """Write the key encrypted; the kid is bound in as associated data. An SM2
    key names its suite (a file without `suite` is Ed25519, as before suites)."""
    aad = f"{KEY_FILE_FORMAT}\n{signer.kid}".encode()
    suite = signer.suite
    envelope = {
        "format": KEY_FILE_FORMAT,
        "kid": signer.kid,
        **({} if suite is DEFAULT else {"suite": suite.name}),
        "public_key": b64encode(signer.public_raw),
        **seal(signer.private_key.private_bytes_raw(), passphrase, aad, cost, suite.cipher),
    }
    write_atomic(path, json.dumps(envelope, indent=2).encode() + b"\n", mode=0o600)


def load_key(path: Path, passphrase: str) -> Signer:
    env = _read_envelope(path, KEY_FILE_FORMAT, "key file")
    if not isinstance(env.get("kid"), str):
        raise KeyFileInvalid("密钥文件格式错误", f"malformed key file {path}: no kid")
    seed = unseal(env, passphrase, f"{KEY_FILE_FORMAT}\n{env['kid']}".encode(), path)
    suite = SUITES.get(env.get("suite", DEFAULT.name))
    if suite is None or env.get("cipher", {}).get("name") != suite.cipher:
        raise KeyFileInvalid(f"{path}: unknown suite or a cipher the suite does not use")
    try:
        private_key = suite.private_key(seed)
    except ValueError as exc:
        raise KeyFileInvalid(f"{path}: the sealed key cannot be read: {exc}") from exc
    signer = Signer.from_private(private_key)
    if signer.kid != env["kid"]:
        raise KeyFileInvalid(f"{path}: the key does not match its recorded id")
    return signer


def read_public_key(path: Path) -> tuple[str, bytes]:
    """The kid and public key of a key file, without the passphrase."""
    env = json.loads(path.read_bytes())
    return env["kid"], b64decode(env["public_key"])


def passphrase_from_environment(prompt: str | None = None) -> str:
    """Headless nodes read the passphrase from a file or a variable; people are asked."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    file_name = os.environ.get(PASSPHRASE_FILE_ENV)
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
    if prompt is not None and os.isatty(0):
        import getpass

        value = getpass.getpass(prompt)
        if value:
            return value
    raise NoPassphrase()


SECRET_FILE_FORMAT = "citychain-sealed-secret/v1"


def seal_secret(secret: bytes, passphrase: str, label: str, cost: KdfCost = KdfCost(), suite: Suite = DEFAULT) -> bytes:
    """A symmetric secret (e.g. a private store's data key) sealed like a key
    file; `label` says what it is and is bound in as associated data."""
    aad = f"{SECRET_FILE_FORMAT}\n{label}".encode()
    envelope = {"format": SECRET_FILE_FORMAT, "label": label, **seal(secret, passphrase, aad, cost, suite.cipher)}
    return json.dumps(envelope, indent=2).encode() + b"\n"


def open_secret(path: Path, passphrase: str, label: str) -> bytes:
    env = _read_envelope(path, SECRET_FILE_FORMAT, f"sealed {label}")
    if env.get("label") != label:
        raise KeyFileInvalid(f"{path} is not a CityChain sealed {label}")
    return unseal(env, passphrase, f"{SECRET_FILE_FORMAT}\n{label}".encode(), path)
