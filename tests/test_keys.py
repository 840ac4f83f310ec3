"""Private keys at rest: encrypted, authenticated, never readable without the passphrase."""

from __future__ import annotations

import json

import pytest

from citychain.log.keys import (
    KdfCost,
    KeyFileInvalid,
    NoPassphrase,
    Signer,
    WrongPassphrase,
    kid,
    load_key,
    passphrase_from_environment,
    read_public_key,
    save_key,
)


def test_round_trip_and_nothing_in_the_clear(tmp_path):
    signer = Signer.generate()
    path = tmp_path / "agency.key"
    save_key(path, signer, "correct horse", KdfCost.cheap())
    raw = path.read_bytes()
    assert signer.private_key.private_bytes_raw() not in raw
    assert signer.private_key.private_bytes_raw().hex().encode() not in raw
    assert (path.stat().st_mode & 0o777) == 0o600
    loaded = load_key(path, "correct horse")
    assert loaded.kid == signer.kid == kid(signer.public_key)
    assert loaded.sign(b"m") == signer.sign(b"m")
    assert read_public_key(path) == (signer.kid, signer.public_raw)


def test_wrong_passphrase_and_tampering_are_refused(tmp_path):
    path = tmp_path / "agency.key"
    save_key(path, Signer.generate(), "correct horse", KdfCost.cheap())
    with pytest.raises(WrongPassphrase, match="口令错误"):
        load_key(path, "wrong horse")
    envelope = json.loads(path.read_bytes())
    envelope["kid"] = "0" * 16  # bound into the ciphertext as associated data
    path.write_text(json.dumps(envelope))
    with pytest.raises(WrongPassphrase):
        load_key(path, "correct horse")
    path.write_text("{not json")
    with pytest.raises(KeyFileInvalid):
        load_key(path, "correct horse")


def test_passphrase_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("CITYCHAIN_PASSPHRASE", raising=False)
    monkeypatch.delenv("CITYCHAIN_PASSPHRASE_FILE", raising=False)
    with pytest.raises(NoPassphrase, match="CITYCHAIN_PASSPHRASE"):
        passphrase_from_environment()
    secret = tmp_path / "pass"
    secret.write_text("from a file\n")
    monkeypatch.setenv("CITYCHAIN_PASSPHRASE_FILE", str(secret))
    assert passphrase_from_environment() == "from a file"
    monkeypatch.setenv("CITYCHAIN_PASSPHRASE", "from the environment")
    assert passphrase_from_environment() == "from the environment"


def test_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(NoPassphrase):
        save_key(tmp_path / "k", Signer.generate(), "")
