"""SM2 in Python, library against library (issue 17, docs/sm-libraries.md).

    /tmp/smlibs/bin/python bench/sm_libraries.py [--seconds 1.0] [--size 1024]

Each library signs and verifies the same ~1 KB message with the same key pair,
SM2 with SM3 and the default signer identity `1234567812345678` (GB/T 35276),
the signatures our SM city makes. Every library's signature is first checked by
GmSSL's pure-Python code and GmSSL's by it, so a figure is only printed for a
library that really computes that signature. Candidates the project does not
depend on are imported by name at run time and skipped when absent: run it from
the repository in a throwaway venv (never the project's), e.g.

    python3.11 -m venv /tmp/smlibs && /tmp/smlibs/bin/pip install cryptography gmalglib gmssl gmssl-fast

docs/sm-libraries.md records the libraries measured once by hand beside these.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import platform
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SM2_ID = b"1234567812345678"


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def rate(call, seconds: float) -> float:
    """Calls per CPU second (the machine may be shared)."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        call()
        done += 1
    return done / (time.process_time() - start)


class Gmalglib:
    dist = "gmalglib"

    def __init__(self, d: bytes, pub: bytes) -> None:
        self.sm2 = importlib.import_module("gmalglib.sm2").SM2(sk=d, pk=pub, uid=SM2_ID)

    def sign(self, msg: bytes) -> bytes:
        return self.sm2.sign(msg)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        return self.sm2.verify(msg, sig)


class GmsslFast:
    dist = "gmssl-fast"

    def __init__(self, d: bytes, pub: bytes) -> None:
        self.sm2 = importlib.import_module("gmssl_fast").SM2(private_key=d.hex(), public_key=pub.hex())

    def sign(self, msg: bytes) -> bytes:
        return self.sm2.sign(msg)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            return bool(self.sm2.verify(msg, sig))
        except Exception:  # noqa: BLE001 - its verification error; only a yes/no is wanted here
            return False


class GmsslPure:
    dist = "gmssl"

    def __init__(self, d: bytes, pub: bytes) -> None:
        self.crypt = importlib.import_module("gmssl.sm2").CryptSM2(private_key=d.hex(), public_key=pub[1:].hex())

    def sign(self, msg: bytes) -> bytes:
        return bytes.fromhex(self.crypt.sign_with_sm3(msg, os.urandom(32).hex()))

    def verify(self, msg: bytes, sig: bytes) -> bool:
        return self.crypt.verify_with_sm3(sig.hex(), msg)


LIBRARIES = (Gmalglib, GmsslFast, GmsslPure)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU time spent on each of sign and verify")
    parser.add_argument("--size", type=int, default=1024, help="message bytes (a record is about 1 KB)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"SM2 with SM3, signer identity {SM2_ID.decode()}, {args.size}-byte message, one key pair")
    from citychain.log import sm

    key = sm.Sm2PrivateKey.generate()
    d, pub = key.private_bytes_raw(), key.public_key().public_bytes_raw()
    reference = GmsslPure(d, pub)  # GmSSL's pure Python: shares no code with the candidates
    msg = os.urandom(args.size)
    for lib in LIBRARIES:
        label = f"{lib.dist} {version(lib.dist)}"
        try:
            impl = lib(d, pub)
            sig = impl.sign(msg)
        except ImportError as exc:
            print(f"{label:28} skipped: {exc}")
            continue
        agrees = reference.verify(msg, sig) and impl.verify(msg, reference.sign(msg))
        if not agrees or impl.verify(msg + b"x", sig):
            print(f"{label:28} DISAGREES with GmSSL's reference code")
            continue
        signs = rate(partial(impl.sign, msg), args.seconds)
        verifies = rate(partial(impl.verify, msg, sig), args.seconds)
        print(f"{label:28} sign {signs:9,.0f}/s   verify {verifies:9,.0f}/s   (per CPU second)")


if __name__ == "__main__":
    main()
