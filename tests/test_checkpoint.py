"""Checkpoints (C2SP tlog-checkpoint) and witness co-signatures (C2SP tlog-cosignature/v1).

Vectors:
- our own, fixed (keys from fixed seeds, fixed time), as printed in
  docs/protocol.md (§ Checkpoints): any change to the bytes we sign fails here;
- a real checkpoint of the log arche2025h1.staging.ct.transparency.dev with an
  Ed25519 log signature and four witnesses' cosignature/v1 lines (taken from a
  public test suite), checked against the witnesses' published verifier keys:
  it pins our message format to what deployed witnesses sign;
- the framing of the examples in the C2SP tlog-checkpoint and tlog-cosignature
  specs (their keys are not published, so only the parsing is checked).
"""

import base64
import hashlib
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from citychain.log.checkpoint import (
    MAX_FUTURE_SECONDS,
    BadSignature,
    Checkpoint,
    CheckpointError,
    FutureCosignature,
    MalformedCheckpoint,
    UnknownKey,
    WrongOrigin,
    add_cosignatures,
    cosign,
    cosignature_message,
    cosigners,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from citychain.log.note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteSignature,
    format_note,
    parse_note,
    sign_ed25519,
)

DASH = "\u2014"

# --- our worked vector (docs/protocol.md (§ Checkpoints)) -------------------------------------------------

LOG_SEED = bytes(range(0x00, 0x20))  # 000102…1f
WITNESS_SEED = bytes(range(0x20, 0x40))  # 202122…3f
LOG_PUBLIC_HEX = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
WITNESS_PUBLIC_HEX = "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7"
ORIGIN = "citychain/demo/market-regulation"
WITNESS = "citychain/demo/public-security"
LOG_KEY_ID_HEX = "7181484f"
WITNESS_KEY_ID_HEX = "25165f8e"
LEAVES = (b"a", b"b", b"c")
ROOT_HEX = "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"
TIME = 1772352000  # 2026-03-01T08:00:00Z
BODY = "citychain/demo/market-regulation\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n"
LOG_LINE = (
    f"{DASH} citychain/demo/market-regulation "
    "cYFIT6FGtTR/2iT+TlXPem1STSHBbGVHQ6d2AindxSfsVAOLVsouHccSLAlyWEVtAnn87UZqvjTRjs/Df9uts8fmsAk=\n"
)
SIGNED = BODY + "\n" + LOG_LINE
COSIGNATURE_LINE = (
    f"{DASH} citychain/demo/public-security "
    "JRZfjgAAAABpo/IALpj+nd6boE0YPFHqR0c2zLtQiAifyacqPr7XaU7oee8yyrHBzkqM2IVeZ68PGOWuTE1dPJyhZTAg+7Aq3104BA==\n"
)
COSIGNED = SIGNED + COSIGNATURE_LINE

LOG_KEY = Ed25519PrivateKey.from_private_bytes(LOG_SEED)
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED)
CHECKPOINT = Checkpoint(ORIGIN, 3, bytes.fromhex(ROOT_HEX))
WITNESSES = {WITNESS: WITNESS_KEY.public_key()}

# --- a deployed log and its witnesses -------------------------------------------------------------

ARCHE = "arche2025h1.staging.ct.transparency.dev"
ARCHE_NOTE = f"""{ARCHE}
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

{DASH} {ARCHE} zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
{DASH} {ARCHE} ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
{DASH} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
{DASH} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
{DASH} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
{DASH} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""
ARCHE_VKEY = f"{ARCHE}+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
ARCHE_WITNESS_VKEYS = (
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
)
ARCHE_TIME = 1779573024


def vkey(text: str, sig_type: int) -> tuple[str, Ed25519PublicKey]:
    """A Go-style verifier key <name>+<hex key ID>+base64(type ‖ key), checked independently."""
    name, kid, blob = text.split("+", 2)
    raw = base64.b64decode(blob, validate=True)
    assert raw[0] == sig_type
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == kid
    return name, Ed25519PublicKey.from_public_bytes(raw[1:])


def rfc9162_root(leaves: tuple[bytes, ...]) -> bytes:
    """MTH for three leaves, written out: H(0x01 ‖ H(0x01 ‖ L0 ‖ L1) ‖ L2), Li = H(0x00 ‖ leaf i)."""
    h = lambda data: hashlib.sha256(data).digest()  # noqa: E731
    l0, l1, l2 = (h(b"\x00" + leaf) for leaf in leaves)
    return h(b"\x01" + h(b"\x01" + l0 + l1) + l2)


def sig_of(text: str, name: str) -> NoteSignature:
    return next(s for s in parse_note(text).signatures if s.name == name)


# --- the worked vector ----------------------------------------------------------------------------


def test_vector_keys_and_key_ids():
    log_public = LOG_KEY.public_key().public_bytes_raw()
    witness_public = WITNESS_KEY.public_key().public_bytes_raw()
    assert log_public.hex() == LOG_PUBLIC_HEX
    assert witness_public.hex() == WITNESS_PUBLIC_HEX
    sha = lambda data: hashlib.sha256(data).digest()[:4].hex()  # noqa: E731
    assert sha(ORIGIN.encode() + b"\n\x01" + log_public) == LOG_KEY_ID_HEX
    assert sha(WITNESS.encode() + b"\n\x04" + witness_public) == WITNESS_KEY_ID_HEX


def test_vector_body_and_root():
    assert rfc9162_root(LEAVES).hex() == ROOT_HEX
    assert CHECKPOINT.body() == BODY
    assert parse_checkpoint(BODY) == CHECKPOINT


def test_vector_signed_note_byte_for_byte():
    assert sign_checkpoint(CHECKPOINT, LOG_KEY) == SIGNED


def test_vector_cosignature_byte_for_byte():
    sig = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, TIME)
    assert sig.line() == COSIGNATURE_LINE
    assert add_cosignatures(SIGNED, [sig]) == COSIGNED


def test_vector_verifies_with_bare_ed25519():
    """Check the vector as another agency would, with nothing of ours but the strings."""
    log_blob = base64.b64decode(LOG_LINE.split(" ")[-1])
    assert log_blob[:4].hex() == LOG_KEY_ID_HEX and len(log_blob) == 4 + 64
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(LOG_PUBLIC_HEX)).verify(log_blob[4:], BODY.encode())
    cosig_blob = base64.b64decode(COSIGNATURE_LINE.split(" ")[-1])
    assert cosig_blob[:4].hex() == WITNESS_KEY_ID_HEX and len(cosig_blob) == 4 + 8 + 64
    assert struct.unpack(">Q", cosig_blob[4:12])[0] == TIME
    message = f"cosignature/v1\ntime {TIME}\n{BODY}".encode()
    assert cosignature_message(CHECKPOINT, TIME) == message
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(WITNESS_PUBLIC_HEX)).verify(cosig_blob[12:], message)


def test_vector_opens_and_counts_its_witness():
    signed = open_checkpoint(COSIGNED, ORIGIN, [LOG_KEY.public_key()])
    assert signed.checkpoint == CHECKPOINT
    assert signed.note_text == COSIGNED
    assert [s.key_id.hex() for s in signed.log_signatures] == [LOG_KEY_ID_HEX]
    assert cosigners(signed, WITNESSES, now=TIME) == {WITNESS: TIME}
    assert (
        open_checkpoint(COSIGNED.encode(), ORIGIN, [LOG_KEY.public_key().public_bytes_raw()]).checkpoint == CHECKPOINT
    )


# --- deployed logs and the specs' examples --------------------------------------------------------


def test_deployed_log_checkpoint_and_witness_cosignatures_verify():
    _, log_key = vkey(ARCHE_VKEY, ED25519)
    signed = open_checkpoint(ARCHE_NOTE, ARCHE, [log_key])
    assert signed.checkpoint.size == 1432088532
    assert base64.b64encode(signed.checkpoint.root).decode() == "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro="
    # The log's other line (an RFC 6962 tree head signature, type 0x05) is by a key we were not given.
    assert len(signed.note.signatures) == 6 and len(signed.log_signatures) == 1
    witnesses = dict(vkey(text, COSIGNATURE_V1) for text in ARCHE_WITNESS_VKEYS)
    assert cosigners(signed, witnesses, now=ARCHE_TIME) == {name: ARCHE_TIME for name in witnesses}
    assert cosigners(signed, witnesses, now=ARCHE_TIME - MAX_FUTURE_SECONDS - 1) == {}
    tampered = ARCHE_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(BadSignature):
        open_checkpoint(tampered, ARCHE, [log_key])


def test_spec_examples_parse():
    """tlog-checkpoint and tlog-cosignature examples: framing only (their keys are not published)."""
    example = (
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        f"{DASH} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
        f"{DASH} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    )
    note = parse_note(example)
    checkpoint = parse_checkpoint(note.text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    witness = note.signatures[1]
    assert witness.key_id.hex() == "8d66cf3f" and len(witness.payload) == 8 + 64
    timestamp = struct.unpack(">Q", witness.payload[:8])[0]
    assert timestamp == 1679315147  # the spec's "time 1679315147"
    assert cosignature_message(checkpoint, timestamp) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


# --- checkpoint bodies ----------------------------------------------------------------------------


def test_extension_lines_are_kept_signed_and_cosigned():
    checkpoint = Checkpoint(ORIGIN, 7, bytes(32), ("ext one", "ext 二"))
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    cosig = cosign(checkpoint, WITNESS, WITNESS_KEY, TIME)
    text = add_cosignatures(sign_checkpoint(checkpoint, LOG_KEY), [cosig])
    signed = open_checkpoint(text, ORIGIN, [LOG_KEY.public_key()])
    assert signed.checkpoint.extensions == ("ext one", "ext 二")
    assert cosigners(signed, WITNESSES, TIME) == {WITNESS: TIME}
    with pytest.raises(BadSignature):
        open_checkpoint(text.replace("ext one", "ext 1"), ORIGIN, [LOG_KEY.public_key()])
    with pytest.raises(BadSignature):
        verify_cosignature(
            Checkpoint(ORIGIN, 7, bytes(32), ("ext one",)), cosig, WITNESS, WITNESS_KEY.public_key(), TIME
        )


@pytest.mark.parametrize(
    "size, expected",
    [("0", 0), ("1", 1), (str(2**63 - 1), 2**63 - 1)],
)
def test_sizes_accepted(size, expected):
    assert parse_checkpoint(f"{ORIGIN}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n").size == expected


@pytest.mark.parametrize(
    "size",
    [
        "",
        "03",
        "00",
        "-1",
        "+1",
        " 3",
        "3 ",
        "3.0",
        "1e3",
        "0x10",
        "\uff13",
        "\u0663",
        str(2**63),
        str(2**64),
        "9" * 400,
    ],
)
def test_sizes_rejected(size):
    with pytest.raises(MalformedCheckpoint):
        parse_checkpoint(f"{ORIGIN}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n")


@pytest.mark.parametrize(
    "body",
    [
        BODY[:-1],  # no final newline
        f"{ORIGIN}\n3\n",  # no root
        f"\n3\n{base64.b64encode(bytes(32)).decode()}\n",  # empty origin
        f"{ORIGIN}\n3\n{base64.b64encode(bytes(31)).decode()}\n",  # short root
        f"{ORIGIN}\n3\n{base64.b64encode(bytes(33)).decode()}\n",  # long root
        f"{ORIGIN}\n3\n{base64.b64encode(bytes(32)).decode().rstrip('=')}\n",  # unpadded
        f"{ORIGIN}\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsF=\n",  # non-zero padding bits
        f"{ORIGIN}\n3\nNmQuc8JUCrEh46a_lUWwokmCzYMOsT080Z3jzmwCHsE=\n",  # URL alphabet
        f"{ORIGIN}\n3\n{bytes.fromhex(ROOT_HEX).hex()}\n",  # hex, not base64
        BODY + "\n",  # empty extension line
        BODY.replace("\n", "\r\n"),
    ],
)
def test_bodies_rejected(body):
    with pytest.raises(MalformedCheckpoint):
        parse_checkpoint(body)


@pytest.mark.parametrize(
    "args",
    [
        ("", 1, bytes(32)),
        ("a\nb", 1, bytes(32)),
        (ORIGIN, -1, bytes(32)),
        (ORIGIN, 2**63, bytes(32)),
        (ORIGIN, True, bytes(32)),
        (ORIGIN, 1.0, bytes(32)),
        (ORIGIN, 1, bytes(31)),
        (ORIGIN, 1, bytes(32), ("",)),
        (ORIGIN, 1, bytes(32), ("a\nb",)),
    ],
)
def test_checkpoint_refuses_values_it_cannot_write(args):
    with pytest.raises(MalformedCheckpoint):
        Checkpoint(*args)


def test_origin_must_be_a_key_name_to_be_signed():
    with pytest.raises(MalformedCheckpoint):
        sign_checkpoint(Checkpoint("citychain/demo/has space", 1, bytes(32)), LOG_KEY)
    with pytest.raises(MalformedCheckpoint):
        open_checkpoint(SIGNED, "citychain/demo/has space", [LOG_KEY.public_key()])


# --- log signatures -------------------------------------------------------------------------------


def test_any_changed_body_character_is_rejected():
    for index in range(len(BODY)):
        if BODY[index] == "\n":
            continue
        replacement = "B" if BODY[index] != "B" else "C"
        altered = SIGNED[:index] + replacement + SIGNED[index + 1 :]
        with pytest.raises(CheckpointError):
            open_checkpoint(altered, ORIGIN, [LOG_KEY.public_key()])


@pytest.mark.parametrize(
    "altered, error",
    [
        (SIGNED.replace("\n3\n", "\n4\n"), BadSignature),  # size
        (SIGNED.replace("NmQuc8JU", "NmQuc8JV"), BadSignature),  # root
        (SIGNED.replace("cYFIT6FGtTR", "cYFIT6FGtTS"), BadSignature),  # signature bytes
        (SIGNED.replace("cYFIT6", "cYFIU6"), UnknownKey),  # key ID (its 4th byte)
        (
            SIGNED.replace(f"{DASH} citychain/demo/market-regulation", f"{DASH} citychain/demo/market-regulatio"),
            UnknownKey,
        ),
        (BODY + "\n" + COSIGNATURE_LINE, UnknownKey),  # only a witness line
        (SIGNED.replace("\n", "\r\n"), MalformedCheckpoint),
        (SIGNED[:-1], MalformedCheckpoint),
        (SIGNED + LOG_LINE, MalformedCheckpoint),  # duplicate line
        (SIGNED + f"{DASH} other.example/key !!!!\n", MalformedCheckpoint),
    ],
)
def test_tampered_or_malformed_signed_checkpoints_are_rejected(altered, error):
    with pytest.raises(error):
        open_checkpoint(altered, ORIGIN, [LOG_KEY.public_key()])


def test_non_utf8_note_is_rejected():
    with pytest.raises(MalformedCheckpoint):
        open_checkpoint(SIGNED.encode().replace(b"market", b"m\xffrket"), ORIGIN, [LOG_KEY.public_key()])


def test_wrong_key_or_wrong_log_is_rejected():
    with pytest.raises(UnknownKey):
        open_checkpoint(SIGNED, ORIGIN, [WITNESS_KEY.public_key()])
    with pytest.raises(UnknownKey):
        open_checkpoint(SIGNED, ORIGIN, [])
    with pytest.raises(UnknownKey):
        open_checkpoint(SIGNED, "citychain/demo/civil-affairs", [LOG_KEY.public_key()])


def test_a_log_key_signing_another_origin_is_refused():
    other = Checkpoint("citychain/demo/civil-affairs", 3, bytes(32))
    text = format_note(Note(other.body(), (sign_ed25519(other.body(), ORIGIN, LOG_KEY),)))
    with pytest.raises(WrongOrigin):
        open_checkpoint(text, ORIGIN, [LOG_KEY.public_key()])


def test_signatures_by_unknown_keys_are_ignored():
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(32))
    extra = [sign_ed25519(BODY, "stranger.example/log", stranger), sign_ed25519(BODY, ORIGIN, stranger)]
    text = add_cosignatures(SIGNED, extra)
    signed = open_checkpoint(text, ORIGIN, [LOG_KEY.public_key()])
    assert signed.checkpoint == CHECKPOINT and len(signed.note.signatures) == 3


def test_rotated_log_keys():
    new_key = Ed25519PrivateKey.from_private_bytes(bytes(range(0x40, 0x60)))
    both = [LOG_KEY.public_key(), new_key.public_key()]
    by_new = sign_checkpoint(CHECKPOINT, new_key)
    assert open_checkpoint(by_new, ORIGIN, both).checkpoint == CHECKPOINT
    by_both = add_cosignatures(SIGNED, [sig_of(by_new, ORIGIN)])
    assert len(open_checkpoint(by_both, ORIGIN, both).log_signatures) == 2
    forged_old = NoteSignature(ORIGIN, bytes.fromhex(LOG_KEY_ID_HEX), bytes(64))
    with pytest.raises(BadSignature):  # a failing line by a trusted key voids the note
        open_checkpoint(add_cosignatures(by_new, [forged_old]), ORIGIN, both)


# --- co-signatures --------------------------------------------------------------------------------


def test_cosignature_verifies_and_returns_its_time():
    sig = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, TIME)
    assert verify_cosignature(CHECKPOINT, sig, WITNESS, WITNESS_KEY.public_key(), now=TIME) == TIME
    assert (
        verify_cosignature(CHECKPOINT, sig, WITNESS, WITNESS_KEY.public_key().public_bytes_raw(), now=TIME + 10**6)
        == TIME
    )


def test_cosignature_time_limits():
    public = WITNESS_KEY.public_key()
    for ahead in (59 * 60, MAX_FUTURE_SECONDS):
        sig = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, TIME + ahead)
        assert verify_cosignature(CHECKPOINT, sig, WITNESS, public, now=TIME) == TIME + ahead
    for ahead in (MAX_FUTURE_SECONDS + 1, 2 * 3600):
        sig = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, TIME + ahead)
        with pytest.raises(FutureCosignature):
            verify_cosignature(CHECKPOINT, sig, WITNESS, public, now=TIME)
        signed = open_checkpoint(add_cosignatures(SIGNED, [sig]), ORIGIN, [LOG_KEY.public_key()])
        assert cosigners(signed, WITNESSES, now=TIME) == {}
    assert verify_cosignature(CHECKPOINT, cosign(CHECKPOINT, WITNESS, WITNESS_KEY, 0), WITNESS, public, now=TIME) == 0


def test_tampered_cosignatures_are_rejected():
    sig = sig_of(COSIGNED, WITNESS)
    public = WITNESS_KEY.public_key()
    later = struct.pack(">Q", TIME + 1) + sig.payload[8:]
    flipped = sig.payload[:8] + bytes([sig.payload[8] ^ 1]) + sig.payload[9:]
    cases = [
        (CHECKPOINT, NoteSignature(WITNESS, sig.key_id, later), WITNESS, BadSignature),  # time
        (CHECKPOINT, NoteSignature(WITNESS, sig.key_id, flipped), WITNESS, BadSignature),  # signature
        (CHECKPOINT, NoteSignature(WITNESS, sig.key_id, sig.payload[:-1]), WITNESS, BadSignature),  # length
        (CHECKPOINT, NoteSignature(WITNESS, bytes(4), sig.payload), WITNESS, UnknownKey),  # key ID
        (CHECKPOINT, NoteSignature("citychain/demo/civil-affairs", sig.key_id, sig.payload), WITNESS, UnknownKey),
        (CHECKPOINT, sig, "citychain/demo/civil-affairs", UnknownKey),  # expected another witness
        (Checkpoint(ORIGIN, 4, CHECKPOINT.root), sig, WITNESS, BadSignature),  # size
        (Checkpoint(ORIGIN, 3, bytes(32)), sig, WITNESS, BadSignature),  # root
        (Checkpoint("citychain/demo/civil-affairs", 3, CHECKPOINT.root), sig, WITNESS, BadSignature),  # origin
        (Checkpoint(ORIGIN, 3, CHECKPOINT.root, ("x",)), sig, WITNESS, BadSignature),  # extension
    ]
    for checkpoint, candidate, name, error in cases:
        with pytest.raises(error):
            verify_cosignature(checkpoint, candidate, name, public, now=TIME)
    with pytest.raises(UnknownKey):
        verify_cosignature(CHECKPOINT, sig, WITNESS, LOG_KEY.public_key(), now=TIME)


def test_time_beyond_2_63_is_rejected():
    sig = sig_of(COSIGNED, WITNESS)
    huge = NoteSignature(WITNESS, sig.key_id, struct.pack(">Q", 2**63) + sig.payload[8:])
    with pytest.raises(BadSignature, match="2\\^63"):
        verify_cosignature(CHECKPOINT, huge, WITNESS, WITNESS_KEY.public_key(), now=2**64)
    for bad in (-1, 2**63, 1.5, True):
        with pytest.raises(ValueError):
            cosign(CHECKPOINT, WITNESS, WITNESS_KEY, bad)


def test_log_signatures_and_cosignatures_are_not_interchangeable():
    """Type bytes 0x01 and 0x04 give the same key different key IDs, and the messages differ."""
    as_log = sign_ed25519(BODY, WITNESS, WITNESS_KEY)
    assert as_log.key_id != bytes.fromhex(WITNESS_KEY_ID_HEX)
    with pytest.raises(UnknownKey):
        verify_cosignature(CHECKPOINT, as_log, WITNESS, WITNESS_KEY.public_key(), now=TIME)
    forged = NoteSignature(WITNESS, bytes.fromhex(WITNESS_KEY_ID_HEX), struct.pack(">Q", TIME) + as_log.payload)
    with pytest.raises(BadSignature):
        verify_cosignature(CHECKPOINT, forged, WITNESS, WITNESS_KEY.public_key(), now=TIME)
    cosig_as_log = NoteSignature(ORIGIN, bytes.fromhex(LOG_KEY_ID_HEX), sig_of(COSIGNED, WITNESS).payload)
    with pytest.raises(BadSignature):
        open_checkpoint(BODY + "\n" + cosig_as_log.line(), ORIGIN, [LOG_KEY.public_key()])


def test_add_cosignatures_keeps_order_and_skips_repeats():
    second_key = Ed25519PrivateKey.from_private_bytes(bytes(range(0x60, 0x80)))
    second = cosign(CHECKPOINT, "citychain/demo/civil-affairs", second_key, TIME + 5)
    first = sig_of(COSIGNED, WITNESS)
    again = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, TIME + 60)  # same key, later time: the first stays
    text = add_cosignatures(COSIGNED, [second, first, again, second])
    assert text == COSIGNED + second.line()
    assert add_cosignatures(text, [first, second]) == text
    signed = open_checkpoint(text, ORIGIN, [LOG_KEY.public_key()])
    assert signed.note.signatures[0].name == ORIGIN
    witnesses = {WITNESS: WITNESS_KEY.public_key(), "citychain/demo/civil-affairs": second_key.public_key()}
    assert cosigners(signed, witnesses, now=TIME) == {WITNESS: TIME, "citychain/demo/civil-affairs": TIME + 5}


def test_add_cosignatures_refuses_what_is_not_a_signed_checkpoint():
    sig = sig_of(COSIGNED, WITNESS)
    for text in (BODY, SIGNED.replace("\n", "\r\n"), "hello\n\n" + LOG_LINE):
        with pytest.raises(MalformedCheckpoint):
            add_cosignatures(text, [sig])


def test_cosigners_counts_only_known_valid_witnesses():
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(32))
    unknown_witness = cosign(CHECKPOINT, "citychain/demo/unknown", stranger, TIME)
    broken = cosign(CHECKPOINT, "citychain/demo/civil-affairs", stranger, TIME)
    broken = NoteSignature(broken.name, broken.key_id, broken.payload[:8] + bytes(64))
    text = add_cosignatures(COSIGNED, [unknown_witness, broken])
    signed = open_checkpoint(text, ORIGIN, [LOG_KEY.public_key()])
    witnesses = {WITNESS: WITNESS_KEY.public_key(), "citychain/demo/civil-affairs": stranger.public_key()}
    assert cosigners(signed, witnesses, now=TIME) == {WITNESS: TIME}
    assert cosigners(signed, {}, now=TIME) == {}


def test_the_documented_vector_is_this_vector():
    """docs/protocol.md (§ Checkpoints) §7 must print exactly the bytes checked above."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text("utf-8")
    for value in (
        LOG_SEED.hex(),
        WITNESS_SEED.hex(),
        LOG_PUBLIC_HEX,
        WITNESS_PUBLIC_HEX,
        LOG_KEY_ID_HEX,
        WITNESS_KEY_ID_HEX,
        ROOT_HEX,
        str(TIME),
        BODY,
        SIGNED,
        COSIGNED,
        cosignature_message(CHECKPOINT, TIME).decode(),
    ):
        assert value in doc, value
    cosig_blob = base64.b64decode(COSIGNATURE_LINE.split(" ")[-1])
    log_blob = base64.b64decode(LOG_LINE.split(" ")[-1])
    flat = doc.replace("\n    ", "")
    assert log_blob[4:].hex() in flat and cosig_blob[12:].hex() in flat and cosig_blob[4:12].hex() in doc
