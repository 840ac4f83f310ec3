"""A short secret kept as a hash in a settings file (the kiosk's administrator
PIN): hashed with Argon2id like every password (`users.Argon2Params`).

Hashes written before are `scrypt$N$r$p$<salt hex>$<hash hex>`; they are
still accepted, and `check_pin` hands back the Argon2 hash to store in their
place, so a PIN moves to Argon2 the first time it is used.
"""

from __future__ import annotations

import hashlib
import hmac

import argon2

from citychain.accounts.users import Argon2Params

_LEGACY = "scrypt$"


def hash_pin(pin: str, params: Argon2Params | None = None) -> str:
    return (params or Argon2Params()).hasher().hash(pin)


def check_pin(pin: str, stored: str, params: Argon2Params | None = None) -> tuple[bool, str | None]:
    """(whether `pin` matches `stored`, the hash to store instead or None):
    a legacy scrypt hash, or an Argon2 one with weaker settings, is replaced."""
    if stored.startswith(_LEGACY):
        return (True, hash_pin(pin, params)) if _scrypt_matches(pin, stored) else (False, None)
    hasher = (params or Argon2Params()).hasher()
    try:
        hasher.verify(stored, pin)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False, None
    return True, (hasher.hash(pin) if hasher.check_needs_rehash(stored) else None)


def _scrypt_matches(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)
