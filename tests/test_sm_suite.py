"""国密 primitives and the SM2/SM3 suite at the log layer (issue 17).

Vectors from the standards; every SM2 signature kind we make (record, note,
co-signature) cross-checked with GmSSL's pure-Python implementation, which
shares no code with gmalglib; and the cross-suite attacks refused.
"""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3
from gmssl import sm4 as gm_sm4
from gmssl.func import bytes_to_list

from citychain.log import merkle, sm
from citychain.log.checkpoint import (
    BadSignature,
    Checkpoint,
    UnknownKey,
    cosign,
    cosigners,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from citychain.log.keys import KdfCost, KeyFileInvalid, Signer, kid, load_key, public_key_from_bytes, save_key
from citychain.log.note import Verifier, key_id, open_note, parse_note, sign_note
from citychain.log.suite import ED25519_SHA256, SM2_SM3, SuiteProblem, key_suite, named

# GM/T 0003.5 (GB/T 32918.5) example on the recommended curve, default identity.
STD_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
STD_PUB = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
STD_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
STD_SIG = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


def gm_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """GmSSL's SM2 with SM3 and the default identity (its sign/verify_with_sm3)."""
    return gm_sm2.CryptSM2(private_key="", public_key=public[1:].hex()).verify_with_sm3(signature.hex(), message)


def gm_sign(private: bytes, message: bytes, identity: bytes = sm.SM2_ID) -> bytes:
    """An SM2 signature by GmSSL's code, with any signer identity (Z computed here per GB/T 32918.2)."""
    d = private.hex()
    public = sm.Sm2PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
    table = gm_sm2.default_ecc_table
    z_input = (len(identity) * 8).to_bytes(2, "big") + identity
    z_input += bytes.fromhex(table["a"] + table["b"] + table["g"]) + public[1:]
    z = bytes.fromhex(gm_sm3.sm3_hash(bytes_to_list(z_input)))
    e = bytes.fromhex(gm_sm3.sm3_hash(bytes_to_list(z + message)))
    crypt = gm_sm2.CryptSM2(private_key=d, public_key=public[1:].hex())
    while True:  # a k with r = 0 or r + k = n is retried, as the standard says
        signature = crypt.sign(e, os.urandom(32).hex())
        if signature:
            return bytes.fromhex(signature)


def test_sm3_and_sm4_reproduce_the_standards_vectors():
    assert sm.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm.sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert gm_sm3.sm3_hash(bytes_to_list(b"abc")) == sm.sm3(b"abc").hex()  # the second implementation agrees
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    block = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (block.update(key) + block.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"
    gm = gm_sm4.CryptSM4(padding_mode=gm_sm4.ZERO)
    gm.set_key(key, gm_sm4.SM4_ENCRYPT)
    assert gm.crypt_ecb(key)[:16].hex() == "681edf34d206965e86b3e94f536e4246"  # then a padding block


def test_sm2_reproduces_the_standard_example_and_refuses_another_identity():
    private = sm.Sm2PrivateKey.from_private_bytes(STD_D)
    assert private.public_key().public_bytes_raw() == STD_PUB
    public = sm.Sm2PublicKey.from_public_bytes(STD_PUB)
    public.verify(STD_SIG, b"message digest")  # GM/T 0003.5's signature, default identity
    crypt = gm_sm2.CryptSM2(private_key=STD_D.hex(), public_key=STD_PUB[1:].hex())
    e = bytes.fromhex(crypt._sm3_z(b"message digest"))
    assert bytes.fromhex(crypt.sign(e, STD_K)) == STD_SIG  # GmSSL with the standard's k gives the same bytes
    with pytest.raises(InvalidSignature):
        public.verify(STD_SIG, b"message digesT")
    with pytest.raises(InvalidSignature):  # a valid SM2 signature, but under another signer identity
        public.verify(gm_sign(STD_D, b"message digest", b"ALICE123@YAHOO.COM"), b"message digest")
    public.verify(gm_sign(STD_D, b"message digest"), b"message digest")


@pytest.mark.parametrize("bad", [bytes(64), b"\xff" * 64, STD_SIG[:63], STD_SIG + b"\x00"])
def test_sm2_refuses_out_of_range_and_misshapen_signatures(bad):
    with pytest.raises(InvalidSignature):
        sm.Sm2PublicKey.from_public_bytes(STD_PUB).verify(bad, b"message digest")


def test_every_sm2_signature_kind_verifies_with_the_second_implementation():
    signer = Signer.generate(SM2_SM3)
    raw = signer.public_raw
    record = b'{"kind":"cert.issued"}'
    assert gm_verify(raw, signer.sign(record), record)  # a record signature
    note_sig = sign_note("city/log\n3\nroot\n", "city/log", signer.private_key)
    assert gm_verify(raw, note_sig.payload, b"city/log\n3\nroot\n")  # a checkpoint's note signature
    checkpoint = Checkpoint("city/log", 3, bytes(32))
    cosig = cosign(checkpoint, "city/witness", signer.private_key, 1_700_000_000)
    from citychain.log.checkpoint import cosignature_message

    assert gm_verify(raw, cosig.payload[8:], cosignature_message(checkpoint, 1_700_000_000))
    # and the other way: GmSSL's signatures verify with ours
    public_key_from_bytes(raw).verify(gm_sign(signer.private_key.private_bytes_raw(), record), record)


def test_sm2_ids_use_sm3_and_never_ed25519_type_bytes():
    signer = Signer.generate(SM2_SM3)
    assert kid(signer.public_raw) == sm.sm3(signer.public_raw)[:8].hex()
    name = "city/log"
    data = name.encode() + b"\n" + SM2_SM3.note_type + signer.public_raw
    assert key_id(name, SM2_SM3.note_type, signer.public_raw) == sm.sm3(data)[:4]
    assert SM2_SM3.note_type[0] == 0xFF and SM2_SM3.cosignature_type[0] == 0xFF
    assert SM2_SM3.note_type != SM2_SM3.cosignature_type
    assert key_suite(signer.public_raw) is SM2_SM3 and key_suite(Signer.generate().public_raw) is ED25519_SHA256
    with pytest.raises(SuiteProblem):
        named("rsa-md5")


def test_sm3_merkle_tree_matches_a_first_principles_computation():
    h = sm.sm3
    la, lb, lc = (h(b"\x00" + x) for x in (b"a", b"b", b"c"))
    root = h(b"\x01" + h(b"\x01" + la + lb) + lc)
    tree = merkle.MemoryTree([b"a", b"b", b"c"], hasher=sm.sm3_hash)
    assert tree.root() == root
    assert tree.root() != merkle.MemoryTree([b"a", b"b", b"c"]).root()
    proof = merkle.inclusion_proof(tree, 2, 3)
    merkle.verify_inclusion(lc, 2, 3, proof, root, sm.sm3_hash)
    with pytest.raises(merkle.RootMismatch):  # an SM3 proof does not pass as a SHA-256 one
        merkle.verify_inclusion(lc, 2, 3, proof, root)
    old = merkle.MemoryTree([b"a", b"b"], hasher=sm.sm3_hash)
    merkle.verify_consistency(2, 3, old.root(), root, merkle.consistency_proof(tree, 2, 3), sm.sm3_hash)
    assert merkle.empty_root(sm.sm3_hash) == h(b"")


def test_sm2_key_file_is_sealed_with_sm4_and_opens_only_as_itself(tmp_path):
    signer = Signer.generate(SM2_SM3)
    path = tmp_path / "sm2.key"
    save_key(path, signer, "口令", KdfCost.cheap())
    text = path.read_text()
    assert '"SM4-GCM"' in text and '"sm2-sm3"' in text and "AES" not in text
    again = load_key(path, "口令")
    assert again.kid == signer.kid and again.public_raw == signer.public_raw
    path.write_text(text.replace('"sm2-sm3"', '"ed25519-sha256"'))  # a relabelled suite is refused
    with pytest.raises(KeyFileInvalid):
        load_key(path, "口令")


def test_checkpoints_refuse_a_signature_of_the_other_suite():
    sm_log, ed_log = Signer.generate(SM2_SM3), Signer.generate()
    checkpoint = Checkpoint("city/log", 5, bytes(range(32)))
    signed = sign_checkpoint(checkpoint, sm_log.private_key)
    assert open_checkpoint(signed, "city/log", [sm_log.public_raw]).checkpoint == checkpoint
    assert open_note(signed, [Verifier.for_key("city/log", sm_log.public_raw)])
    with pytest.raises(UnknownKey):  # an Ed25519-signed checkpoint where the city's key is SM2
        open_checkpoint(sign_checkpoint(checkpoint, ed_log.private_key), "city/log", [sm_log.public_raw])
    with pytest.raises(UnknownKey):  # and the other way round
        open_checkpoint(signed, "city/log", [ed_log.public_raw])
    forged = parse_note(signed)
    tampered = signed.replace(forged.text, forged.text.replace("5", "6", 1))
    with pytest.raises(BadSignature):
        open_checkpoint(tampered, "city/log", [sm_log.public_raw])


def test_sm2_cosignatures_count_only_for_their_own_key_and_suite():
    log, witness, ed_witness = Signer.generate(SM2_SM3), Signer.generate(SM2_SM3), Signer.generate()
    checkpoint = Checkpoint("city/log", 9, bytes(32))
    cosig = cosign(checkpoint, "city/witness", witness.private_key, 1_700_000_000)
    assert verify_cosignature(checkpoint, cosig, "city/witness", witness.public_raw, 1_700_000_000) == 1_700_000_000
    with pytest.raises(UnknownKey):  # an Ed25519 witness key never matches an SM2 co-signature line
        verify_cosignature(checkpoint, cosig, "city/witness", ed_witness.public_raw, 1_700_000_000)
    from citychain.log.checkpoint import add_cosignatures

    signed = open_checkpoint(
        add_cosignatures(sign_checkpoint(checkpoint, log.private_key), [cosig]), "city/log", [log.public_raw]
    )
    assert cosigners(signed, {"city/witness": witness.public_raw}, 1_700_000_000) == {"city/witness": 1_700_000_000}
    assert cosigners(signed, {"city/witness": ed_witness.public_raw}, 1_700_000_000) == {}


def test_a_key_of_the_other_suite_is_refused_where_keys_are_registered():
    SM2_SM3.check_key(Signer.generate(SM2_SM3).public_raw)
    with pytest.raises(SuiteProblem) as refused:
        SM2_SM3.check_key(Signer.generate().public_raw, "agency key")
    assert "mixed cities are refused" in refused.value.message_en and "密码套件" in refused.value.message_zh
    with pytest.raises(SuiteProblem):
        ED25519_SHA256.check_key(Signer.generate(SM2_SM3).public_raw)


def test_the_protocol_vectors_of_section_15_hold():
    """docs/protocol.md §15: ids, tree, commitment, and a checkpoint with a co-signature."""
    from citychain.log.checkpoint import add_cosignatures
    from citychain.log.commitments import commitment, salt

    assert kid(STD_PUB) == "e6a4f9765fca89e8"
    tree = merkle.MemoryTree([b"a", b"b", b"c"], hasher=sm.sm3_hash)
    assert tree.root().hex() == "2706e4e4d41c1ed9c3fe7f7822bf360a67abcc052cc2c00022c1313ec3ded965"
    assert merkle.empty_root(sm.sm3_hash).hex() == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
    seed_salt = salt(bytes(range(16)), "holder_name", sm.sm3_hash)
    assert seed_salt.hex() == "61863547d5c41ebc5e4401507dd3f602"
    assert (
        commitment(seed_salt, "张三", sm.sm3_hash) == "de6d32e12be5b4e8eaf0410f9da2c7d491d5c3f07e3e20dc03fd37b50a91a7b1"
    )
    note = (
        "demo.example/sm/log\n3\nJwbk5NQcHtnD/n94Ir82CmerzAUswsAAIsExPsPe2WU=\n\n"
        "— demo.example/sm/log Z4HxTXcVjPHBMDoEvyl6O5Gp+IG5Lp3xGN+5c5lVhqSgUN+WVIcBySALvYcde+gI+g0Ae7vn86BqSsrSAI9P4B/rauA=\n"
    )
    cosig = parse_note(
        "x\n\n— demo.example/sm/witness YlRTGwAAAABpVbkAcI+rto9eieuKzVue7B9tZk7EBV00gl9XCtQiejKpkz72S4fV6OFSH9rF"
        "i9JhBO3ewdBihJyPApy5yKYageztFw==\n"
    ).signatures
    signed = open_checkpoint(add_cosignatures(note, cosig), "demo.example/sm/log", [STD_PUB])
    assert signed.checkpoint.root == tree.root() and signed.log_signatures[0].key_id.hex() == "6781f14d"
    assert cosigners(signed, {"demo.example/sm/witness": STD_PUB}, 1767225600) == {
        "demo.example/sm/witness": 1767225600
    }


def test_fork_evidence_between_two_sm2_signed_trees_is_proven_with_sm3():
    from citychain.log.forks import EvidenceInvalid, ForkEvidence, verify_evidence

    log = Signer.generate(SM2_SM3)
    origin = "city/forked"
    honest = merkle.MemoryTree([b"r0", b"r1", b"r2", b"r3"], hasher=sm.sm3_hash)
    forked = merkle.MemoryTree([b"r0", b"r1", b"X2"], hasher=sm.sm3_hash)
    note_a = sign_checkpoint(Checkpoint(origin, 3, forked.root()), log.private_key)
    note_b = sign_checkpoint(Checkpoint(origin, 4, honest.root()), log.private_key)
    path = tuple(merkle.full_consistency_path(honest, 3, 4))
    said = verify_evidence(ForkEvidence("forked", origin, note_a, note_b, path), [log.public_raw])
    assert "does not extend" in said
    consistent = sign_checkpoint(
        Checkpoint(origin, 3, merkle.MemoryTree([b"r0", b"r1", b"r2"], hasher=sm.sm3_hash).root()), log.private_key
    )
    with pytest.raises(EvidenceInvalid):  # an honest prefix proves nothing
        verify_evidence(ForkEvidence("forked", origin, consistent, note_b, path), [log.public_raw])
