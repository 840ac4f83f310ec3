"""C2SP signed notes: published vectors of other implementations, and strict parsing.

External vectors (checked byte for byte):
- golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann signer key, its
  signed note, and the EnochRoot second signature;
- c2sp.org/signed-note: the example.com/foo verifier key and note, and the
  quasimodo example (syntax only; its key is not published).
"""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from citychain.log.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    DuplicateSignature,
    InvalidNoteSignature,
    MalformedNote,
    Note,
    NoteError,
    NoteSignature,
    TooManySignatures,
    UnverifiedNote,
    Verifier,
    decode_b64,
    format_note,
    key_id,
    open_note,
    parse_note,
    sign_ed25519,
    verify_ed25519,
)

DASH = "\u2014"

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = f"{DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = (
    f"{DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
QUASIMODO_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    f"{DASH} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def vkey_verifier(vkey: str) -> Verifier:
    """A Go-style verifier key <name>+<hex key ID>+base64(type ‖ key), checked independently."""
    name, kid, blob = vkey.split("+", 2)
    raw = base64.b64decode(blob, validate=True)
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == kid
    return Verifier(name, raw[1:], raw[0])


PETER = vkey_verifier(PETER_VKEY)
ENOCH = vkey_verifier(ENOCH_VKEY)
FOO = vkey_verifier(SPEC_VKEY)


def peter_private_key() -> Ed25519PrivateKey:
    blob = base64.b64decode(GO_SKEY.split("+", 4)[4], validate=True)  # the key holds a "+"
    assert blob[0] == ED25519
    return Ed25519PrivateKey.from_private_bytes(blob[1:])


def test_key_ids_match_published_verifier_keys():
    assert key_id("PeterNeumann", ED25519, PETER.public_key).hex() == "c74f20a3"
    assert key_id("EnochRoot", ED25519, ENOCH.public_key).hex() == "af0cfe78"
    assert key_id("example.com/foo", ED25519, FOO.public_key).hex() == "530d903a"
    remora = vkey_verifier("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
    assert remora.sig_type == COSIGNATURE_V1
    assert key_id("remora.n621.de", COSIGNATURE_V1, remora.public_key).hex() == "da77ade7"


def test_go_signer_key_signs_the_published_note_byte_for_byte():
    private_key = peter_private_key()
    assert private_key.public_key().public_bytes_raw() == PETER.public_key
    signed = format_note(Note(GO_TEXT, (sign_ed25519(GO_TEXT, "PeterNeumann", private_key),)))
    assert signed == GO_TEXT + "\n" + PETER_SIG


def test_go_note_opens_with_one_two_or_no_known_keys():
    message = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    note, good = open_note(message, [PETER])
    assert note.text == GO_TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert [s.name for s in good] == ["PeterNeumann"]
    _, good = open_note(message.encode(), [PETER, ENOCH])
    assert [s.name for s in good] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(UnverifiedNote):
        open_note(message, [])
    assert format_note(note) == message


def test_c2sp_signed_note_example_verifies():
    note, good = open_note(SPEC_NOTE, [FOO])
    assert note.text == "This is an example message.\n"
    assert good[0].key_id.hex() == "530d903a"


def test_text_runs_to_the_last_blank_line():
    note = parse_note(QUASIMODO_NOTE)
    assert note.text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    assert note.signatures[0].name == "quasimodo.example/salvatore"
    assert format_note(note) == QUASIMODO_NOTE


@pytest.mark.parametrize(
    "message",
    [
        GO_TEXT,  # no signatures
        GO_TEXT + "\n",  # blank line but no signatures
        GO_TEXT + "\n" + PETER_SIG[:-1],  # last line without newline
        "\x01" + GO_TEXT + "\n" + PETER_SIG,  # control character
        GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG + "\n",  # blank line after the signatures
        GO_TEXT + "\n" + PETER_SIG.replace(DASH, "-"),  # hyphen, not an em dash
        GO_TEXT + "\n" + PETER_SIG.replace(DASH + " ", DASH),  # no space after the dash
        GO_TEXT + "\n" + PETER_SIG.replace(" x08", "  x08"),  # two spaces
        GO_TEXT + "\n" + PETER_SIG.replace("=\n", "= \n"),  # trailing space
        GO_TEXT + "\n" + f"{DASH} PeterNeumann\n",  # no signature
        GO_TEXT + "\n" + f"{DASH}  x08go/ZJkuBS9UG\n",  # no name
        (GO_TEXT + "\n" + PETER_SIG).replace("\n", "\r\n"),  # CRLF
        GO_TEXT.replace("\n", "\t", 1) + "\n" + PETER_SIG,  # tab
    ],
)
def test_malformed_notes_are_rejected(message):
    with pytest.raises(MalformedNote):
        open_note(message, [PETER])


def test_non_utf8_and_lone_surrogates_are_rejected():
    good = (GO_TEXT + "\n" + PETER_SIG).encode()
    with pytest.raises(MalformedNote, match="UTF-8"):
        parse_note(b"\xff" + good)
    with pytest.raises(MalformedNote, match="UTF-8"):
        parse_note(good.replace(b"cryptography", b"crypt\xc0\xafgraphy"))  # overlong encoding
    with pytest.raises(MalformedNote, match="UTF-8"):
        parse_note("\ud800" + GO_TEXT + "\n" + PETER_SIG)


def test_oversized_note_is_rejected():
    with pytest.raises(MalformedNote, match="larger"):
        parse_note(b"x" * MAX_NOTE_BYTES + b"\n\n" + PETER_SIG.encode())


def test_go_invalid_signature_vector_rejects_the_note():
    message = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidNoteSignature, match="PeterNeumann"):
        open_note(message, [PETER])


def test_any_changed_text_character_is_rejected():
    message = GO_TEXT + "\n" + PETER_SIG
    for index, char in enumerate(GO_TEXT):
        altered = GO_TEXT[:index] + ("X" if char != "X" else "Y") + GO_TEXT[index + 1 :]
        with pytest.raises(NoteError):
            open_note(altered + message[len(GO_TEXT) :], [PETER])


def test_signature_lines_of_other_keys_are_ignored_even_if_name_or_id_matches():
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    same_name = sign_ed25519(GO_TEXT, "PeterNeumann", other)  # another key ID
    peter = parse_note(GO_TEXT + "\n" + PETER_SIG).signatures[0]
    same_id = NoteSignature("PeterNeumann2", peter.key_id, peter.payload)  # another name
    message = format_note(Note(GO_TEXT, (same_name, same_id, peter)))
    _, good = open_note(message, [PETER])
    assert good == (peter,)
    with pytest.raises(UnverifiedNote):
        open_note(format_note(Note(GO_TEXT, (same_name, same_id))), [PETER])


def test_a_known_key_that_fails_rejects_the_note_even_beside_a_good_one():
    old = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    new = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    keys = [Verifier.ed25519("log", k.public_key()) for k in (old, new)]
    text = "checkpoint\n"
    bad_old = sign_ed25519("another text\n", "log", old)
    good_new = sign_ed25519(text, "log", new)
    with pytest.raises(InvalidNoteSignature):
        open_note(format_note(Note(text, (good_new, bad_old))), keys)
    _, good = open_note(format_note(Note(text, (good_new,))), keys)
    assert good == (good_new,)


def test_duplicate_signature_lines_are_rejected():
    with pytest.raises(DuplicateSignature):
        parse_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG + PETER_SIG)
    sig = parse_note(GO_TEXT + "\n" + PETER_SIG).signatures[0]
    with pytest.raises(DuplicateSignature):
        format_note(Note(GO_TEXT, (sig, sig)))


def test_signature_count_limit():
    def lines(count: int) -> str:
        return "".join(f"{DASH} key{i} {base64.b64encode(bytes(68)).decode()}\n" for i in range(count))

    assert len(parse_note("t\n\n" + lines(16)).signatures) == 16  # the spec's minimum
    assert len(parse_note("t\n\n" + lines(MAX_SIGNATURES)).signatures) == MAX_SIGNATURES
    with pytest.raises(TooManySignatures):
        parse_note("t\n\n" + lines(MAX_SIGNATURES + 1))


@pytest.mark.parametrize(
    "blob",
    [
        "",
        "AAAA",  # four bytes: a key ID without a signature
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM",  # no padding
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=",  # padding bits
        "x08go_ZJkuBS9UG_SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",  # URL alphabet
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM==",
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJ=nAM",
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\u00a0",
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\uff1d",
    ],
)
def test_malformed_signature_base64_is_rejected(blob):
    with pytest.raises(MalformedNote):
        parse_note(GO_TEXT + f"\n{DASH} PeterNeumann {blob}\n")


def test_base64_decoding_is_canonical():
    assert decode_b64("AAECAw==") == bytes([0, 1, 2, 3])
    for text in ("AAECAx==", "AAECAw", "AAECAw===", "AA ECAw==", "AAECAw==\n"):
        with pytest.raises(MalformedNote):
            decode_b64(text)


@pytest.mark.parametrize(
    "name", ["", "a+b", "Bad Name", "tab\tname", "nbsp\u00a0name", "ideographic\u3000space", "line\u2028sep"]
)
def test_bad_key_names_are_rejected(name):
    key = peter_private_key()
    with pytest.raises(MalformedNote):
        sign_ed25519(GO_TEXT, name, key)
    with pytest.raises(MalformedNote):
        key_id(name, ED25519, key.public_key())
    if name and "\n" not in name and "\t" not in name:
        with pytest.raises(MalformedNote):
            parse_note(GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", name))


def test_sign_refuses_text_that_cannot_be_a_note():
    key = peter_private_key()
    for text in ("no final newline", "carriage\r\n", "nul\x00\n", ""):
        with pytest.raises(MalformedNote):
            sign_ed25519(text, "PeterNeumann", key)


def test_utf8_text_and_blank_lines_round_trip():
    key = peter_private_key()
    text = "营业执照\n\n第二段 \x7f DEL is not a control character the spec forbids\n\n"
    message = format_note(Note(text, (sign_ed25519(text, "城市/市场监管", key),)))
    note, good = open_note(message.encode("utf-8"), [Verifier.ed25519("城市/市场监管", key.public_key())])
    assert note.text == text and len(good) == 1
    assert format_note(parse_note(message)) == message


def test_verify_ed25519_checks_name_key_id_length_and_signature():
    key = peter_private_key()
    sig = sign_ed25519(GO_TEXT, "PeterNeumann", key)
    public = key.public_key()
    assert verify_ed25519(GO_TEXT, sig, "PeterNeumann", public)
    assert not verify_ed25519(GO_TEXT + "x\n", sig, "PeterNeumann", public)
    assert not verify_ed25519(GO_TEXT, sig, "EnochRoot", public)
    assert not verify_ed25519(GO_TEXT, NoteSignature(sig.name, bytes(4), sig.payload), "PeterNeumann", public)
    assert not verify_ed25519(GO_TEXT, NoteSignature(sig.name, sig.key_id, sig.payload + b"\0"), "PeterNeumann", public)
    flipped = bytes([sig.payload[0] ^ 1]) + sig.payload[1:]
    assert not verify_ed25519(GO_TEXT, NoteSignature(sig.name, sig.key_id, flipped), "PeterNeumann", public)


@pytest.mark.parametrize("code", [c for c in range(0x20) if c != 0x0A])
def test_every_control_character_but_newline_is_rejected(code):
    with pytest.raises(MalformedNote, match="control character"):
        parse_note(GO_TEXT.replace("cryptography", "crypto" + chr(code)) + "\n" + PETER_SIG)
