"""Cheap key sealing and password hashing for tests, importable by the helper
processes tests start (node runners, the crash appender) without pytest."""

from citychain.accounts.users import Argon2Params
from citychain.log.keys import KdfCost

CHEAP_KDF = KdfCost.cheap()
FAST_ARGON2 = Argon2Params.fast()
