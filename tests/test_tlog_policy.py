"""Trust policies (C2SP tlog-policy), the lists a node serves (`/v1/logs`,
C2SP tlog-list) and a witness that is not the city's (C2SP tlog-witness):
docs/protocol.md §6 and §14; issue 15, items 4, 6 and 7.

One demo city (fake clock) for the module. Civil affairs issues two
certificates; a witness written here from the tlog-witness and
tlog-cosignature specs alone (its own Ed25519 key, its own consistency check,
on 127.0.0.1) co-signs civil affairs' log when the home's policy names it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from conftest import CHEAP_KDF, FAST_ARGON2, ROOT, quiet_demo_city
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nodes import serving
from reportlab.pdfgen.canvas import Canvas

import main
from certificates import payload as cert_payload
from certificates.desk import CertificateDesk
from certificates.kinds import PLUGIN as CERT_PLUGIN
from certificates.verify import Verifier
from citychain.clock import FakeClock, format_time
from citychain.documents.checks import VerifierConfig, quorum_shortfall_of
from citychain.documents.pades import seal_pdf
from citychain.log.checkpoint import Checkpoint, add_cosignatures, cosign, open_checkpoint, sign_checkpoint
from citychain.log.keys import Signer
from citychain.log.policy import PolicyError, log_vkey, parse_policy, parse_vkey, witness_vkey
from citychain.net.service import NodeService
from citychain.node import trust
from citychain.node.home import Home
from citychain.node.node import Node
from citychain.node.trust import key_json
from democity import spec
from democity.build import BUNDLE_FILE
from democity.samples import OTHERS, SAMPLES

CIVIL, ROTATED = "civil-affairs", spec.ROOT  # the root serves its own log: it shows its rotated key
MARRIAGE = "marriage-certificate"
FOREIGN_NAME = "witness.example.org/w1"  # the foreign witness's key name (a schema-less URL, as the spec says)
DOCS = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")

# docs/protocol.md §14's vector: §4.7's two keys as vkeys, and a policy naming them.
LOG_SEED, WITNESS_SEED = bytes(range(32)), bytes(range(32, 64))
VECTOR_LOG_VKEY = "citychain/demo/market-regulation+7181484f+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
VECTOR_WITNESS_VKEY = "citychain/demo/public-security+25165f8e+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
VECTOR_POLICY = f"""\
# §14 vector
log {VECTOR_LOG_VKEY}
witness ps {VECTOR_WITNESS_VKEY} https://ps.example.gov.cn/v1/witness
group city 1 ps
quorum city
"""
SECTION_4_ROOT = "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"  # §4.7's tree of a, b, c


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


# -- a witness from the specs alone --------------------------------------------------------
def _consistent(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, as written there."""
    if old == new:
        return not proof and old_root == new_root
    path = ([old_root] if old & (old - 1) == 0 else []) + proof
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _h(b"\x01", c, fr), _h(b"\x01", c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _h(b"\x01", sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


class SpecWitness:
    """C2SP tlog-witness `add-checkpoint` for one log, answering with a
    tlog-cosignature/v1 line of its own Ed25519 key; nothing of our code."""

    def __init__(self, origin: str, log_key: bytes, now) -> None:
        self.origin, self.log_key, self.now = origin, log_key, now
        self.key = Ed25519PrivateKey.generate()
        public = self.key.public_key().public_bytes_raw()
        self.key_id = _h(FOREIGN_NAME.encode(), b"\n\x04", public)[:4]
        material = _b64(bytes([0x04]) + public)
        self.vkey = f"{FOREIGN_NAME}+{self.key_id.hex()}+{material}"
        self.size, self.root = 0, _h()
        self.answers: list[int] = []

    def add_checkpoint(self, body: bytes) -> tuple[int, str, str]:
        head, _, note = body.decode().partition("\n\n")
        lines = head.split("\n")
        old, proof = int(lines[0].removeprefix("old ")), [base64.b64decode(x) for x in lines[1:]]
        cut = note.rindex("\n\n")
        text, signatures = note[: cut + 1], note[cut + 2 :].splitlines()
        origin, size, root = text.split("\n")[0], int(text.split("\n")[1]), base64.b64decode(text.split("\n")[2])
        if origin != self.origin:
            return 404, "text/plain", "unknown origin\n"
        log_id = _h(origin.encode(), b"\n\x01", self.log_key)[:4]
        good = False
        for line in signatures:
            _, name, value = line.split(" ")
            raw = base64.b64decode(value)
            if name == origin and raw[:4] == log_id:
                Ed25519PublicKey.from_public_bytes(self.log_key).verify(raw[4:], text.encode())
                good = True
        if not good:
            return 403, "text/plain", "not signed by the log\n"
        if old > size:
            return 400, "text/plain", "old size above the checkpoint\n"
        if old != self.size or (old == size and root != self.root):
            return 409, "text/x.tlog.size", f"{self.size}\n"
        if 0 < old < size and not _consistent(old, size, self.root, root, proof):
            return 422, "text/plain", "inconsistent\n"
        self.size, self.root = size, root
        stamp = self.now()
        signature = self.key.sign(b"cosignature/v1\ntime %d\n" % stamp + text.encode())
        return 200, "text/plain", f"— {FOREIGN_NAME} {_b64(self.key_id + stamp.to_bytes(8, 'big') + signature)}\n"


def _served(witness: SpecWitness) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, kind, text = (404, "text/plain", "no\n")
            if self.path == "/w/add-checkpoint":
                status, kind, text = witness.add_checkpoint(body)
                witness.answers.append(status)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/w"


# -- the city --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """Civil affairs issues certificate A (no co-signature yet), then takes a
    trust policy naming the foreign witness, is co-signed by it, reprints A and
    issues B (co-signed again, from the size it last saw). The root rotates
    its own key (the old one stays valid for a year). The PDFs are sealed
    blank pages with the real proof files: the layout is not what is judged."""
    clock = FakeClock(datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    demo = quiet_demo_city(tmp_path_factory.mktemp("policy") / "city", clock=clock)
    out = SimpleNamespace(path=demo.path, clock=clock, bundle=demo.path / BUNDLE_FILE)
    with Node.open(demo.home(spec.ROOT), (), clock=clock, argon2=FAST_ARGON2) as root:
        admin = root.users.authenticate("admin", spec.PASSWORDS["admin"])
        old = root.trust.agency(ROTATED).keys[-1]
        new = Signer.generate()
        start = format_time(clock.now())
        retire = format_time(clock.now().replace(year=2027))
        body = {"agency": ROTATED, "new_key": key_json(new.kid, new.public_raw, start), "retire_kid": old.kid}
        root.append(admin, [(trust.KEY_ROTATED, body | {"retire_at": retire})])
        out.rotated = (old.kid, new.kid)
    home = Home(demo.home(CIVIL))
    with Node.open(home.path, (CERT_PLUGIN,), clock=clock, argon2=FAST_ARGON2) as node:
        node.private(CHEAP_KDF)
        desk = CertificateDesk(node)
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        out.cert_a = desk.issue(clerk, MARRIAGE, SAMPLES[MARRIAGE]).cert_id
        out.pdf_a_unwitnessed = _pdf(desk, out.cert_a)
        out.civil_key = node.signer.public_raw
    out.origin = f"citychain/{spec.CITY}/{CIVIL}"
    out.witness = SpecWitness(out.origin, out.civil_key, lambda: int(clock.now().timestamp()))
    server, out.witness_url = _served(out.witness)
    out.foreign_policy = demo.path / "foreign.tlog-policy"
    out.foreign_policy.write_text(
        f"log {log_vkey(out.origin, out.civil_key).text()}\nwitness far {out.witness.vkey} {out.witness_url}\nquorum far\n"
    )
    (home.path / "policy.txt").write_bytes(out.foreign_policy.read_bytes())
    home.write_config(replace(home.config(), policy_file="policy.txt"))
    try:
        with Node.open(home.path, (CERT_PLUGIN,), clock=clock, argon2=FAST_ARGON2) as node:
            service = NodeService(node, (CERT_PLUGIN,), interval=3600)
            try:
                out.first_round = service.foreign.round()
                desk = CertificateDesk(node)
                node.private(CHEAP_KDF)
                out.pdf_a = _pdf(desk, out.cert_a)  # a reprint: the proof now carries the foreign co-signature
                clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
                out.cert_b = desk.issue(clerk, MARRIAGE, SAMPLES[MARRIAGE] | OTHERS[MARRIAGE]).cert_id
                service.foreign.asked[out.witness_url].at = float("-inf")  # no waiting out the gap in a test
                out.second_round = service.foreign.round()
                out.pdf_b = _pdf(desk, out.cert_b)
                out.checkpoint = node.store.head(CIVIL).checkpoint
            finally:
                service.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def _pdf(desk: CertificateDesk, cert_id: str) -> bytes:
    """What `desk.pdf` seals, on a blank page: the proof files of the newest proof."""
    files = desk.proof(cert_id).files(desk.qr_text(cert_id))
    buffer = io.BytesIO()
    page = Canvas(buffer)
    page.showPage()
    page.save()
    tlog = (cert_payload.TLOG_PROOF_FILENAME, files[cert_payload.TLOG_PROOF_FILENAME])
    when = desk.node.clock.now()
    return seal_pdf(
        buffer.getvalue(),
        files[cert_payload.PROOF_FILENAME],
        desk.seal,
        when,
        "test",
        attachment_name=cert_payload.PROOF_FILENAME,
        tlog_proof=tlog,
    )


def _main(capsys, *argv: str) -> tuple[int, str]:
    """`main.py ARGV` in this process (the same parser and commands): exit code, stdout and stderr."""
    code = main.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


# -- the format ------------------------------------------------------------------------------
def test_the_documented_vector_parses_and_its_keys_are_the_vkeys_of_section_4():
    log_public = Ed25519PrivateKey.from_private_bytes(LOG_SEED).public_key().public_bytes_raw()
    witness_public = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED).public_key().public_bytes_raw()
    assert log_vkey("citychain/demo/market-regulation", log_public).text() == VECTOR_LOG_VKEY
    assert witness_vkey("citychain/demo/public-security", witness_public).text() == VECTOR_WITNESS_VKEY
    assert VECTOR_POLICY in DOCS and VECTOR_LOG_VKEY in DOCS and VECTOR_WITNESS_VKEY in DOCS
    policy = parse_policy(VECTOR_POLICY.encode())
    assert policy.log_keys("citychain/demo/market-regulation") == (log_public,)
    assert [(w.name, w.url) for w in policy.witnesses] == [("ps", "https://ps.example.gov.cn/v1/witness")]
    assert policy.quorum == "city" and parse_policy(policy.text().encode()) == policy
    # §4.7's co-signed checkpoint meets it at the witness's time, and not an hour before.
    checkpoint = Checkpoint("citychain/demo/market-regulation", 3, bytes.fromhex(SECTION_4_ROOT))
    note = sign_checkpoint(checkpoint, Ed25519PrivateKey.from_private_bytes(LOG_SEED))
    note = add_cosignatures(
        note,
        [
            cosign(
                checkpoint,
                "citychain/demo/public-security",
                Ed25519PrivateKey.from_private_bytes(WITNESS_SEED),
                1772352000,
            )
        ],
    )
    signed = open_checkpoint(note, "citychain/demo/market-regulation", [log_public])
    assert policy.shortfall(signed, 1772352000) is None
    assert policy.shortfall(signed, 1772352000 - 3601) is not None


def test_groups_thresholds_and_none_follow_the_spec():
    keys = [Ed25519PrivateKey.generate().public_key().public_bytes_raw() for _ in range(6)]
    lines = [f"witness {n} {witness_vkey(f'w.example/{n}', k).text()}" for n, k in zip("abcdef", keys, strict=True)]
    text = (
        "\n".join(
            [
                "  # comment, then blank lines and tabs",
                "",
                *lines,
                "group X\t2 a b c",
                "group Y any d e f",
                "group XY all X Y",
                "quorum XY",
            ]
        )
        + "\n"
    )
    policy = parse_policy(text.encode())
    assert not policy.logs and [g.threshold for g in policy.groups] == [2, 1, 2]
    assert policy.satisfied({"a", "b", "d"}) and policy.satisfied({"b", "c", "f"})
    assert not policy.satisfied({"a", "d", "e", "f"}) and not policy.satisfied({"a", "b", "c"})
    assert parse_policy(b"quorum none\n").satisfied(())
    assert parse_policy(text.encode().replace(b"quorum XY", b"quorum a")).satisfied({"a"})


# Fixed keys: test ids are made from these texts, and pytest-xdist workers must collect the same ids.
_K = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32).public_key().public_bytes_raw() for i in range(1, 4)]
_W = [witness_vkey(f"w.example/{i}", k).text() for i, k in enumerate(_K)]
_L = log_vkey("citychain/demo/civil-affairs", _K[0]).text()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no quorum line"),
        ("quorum none", "newline"),
        (f"witness a {_W[0]}\n", "no quorum line"),
        ("quorum none\nquorum none\n", "exactly one quorum"),
        ("quorum a\n", "not a witness or group defined above"),
        (f"quorum a\nwitness a {_W[0]}\n", "not a witness or group defined above"),
        ("frobnicate x\nquorum none\n", "unknown keyword"),
        ("log\nquorum none\n", "log line is"),
        (f"log {_L} https://x https://y\nquorum none\n", "log line is"),
        (f"log {_L}\nlog {_L}\nquorum none\n", "log key is listed twice"),
        (f"log {_W[0]}\nquorum none\n", "0x01"),
        (f"witness a {_L}\nquorum none\n", "0x04"),
        (f"witness a {_W[0]}\nwitness b {_W[0]}\nquorum none\n", "witness key is listed twice"),
        (f"witness a {_W[0]}\nwitness a {_W[1]}\nquorum a\n", "already defined"),
        (f"witness none {_W[0]}\nquorum none\n", "predefined"),
        ("witness a\nquorum none\n", "witness line is"),
        (f"witness a {_W[0][:-2]}AA\nquorum none\n", "key ID"),
        (f"witness a {_W[0].replace('+', '+0', 1)}\nquorum none\n", "verifier key is"),
        ("witness a w.example/0+00000000+AAAA\nquorum none\n", "Ed25519"),
        (f"witness a {_W[0]}\ngroup g any\nquorum g\n", "group line is"),
        (f"witness a {_W[0]}\ngroup g 2 a\nquorum g\n", "threshold"),
        (f"witness a {_W[0]}\ngroup g 0 a\nquorum g\n", "threshold"),
        (f"witness a {_W[0]}\ngroup g 01 a\nquorum g\n", "threshold"),
        (f"witness a {_W[0]}\ngroup g any a a\nquorum g\n", "already a group member"),
        (f"witness a {_W[0]}\ngroup g any a\ngroup h any a\nquorum h\n", "already a group member"),
        (f"witness a {_W[0]}\ngroup g any none\nquorum g\n", "not a witness or group"),
        (f"witness a {_W[0]}\ngroup g any b\nquorum g\n", "not a witness or group"),
        ("quorum none\r\n", "control character"),
        ("quorum\x0bnone\n", "control character"),
    ],
)
def test_every_malformed_policy_is_refused_with_its_line_and_reason_in_both_languages(text, why):
    with pytest.raises(PolicyError) as refused:
        parse_policy(text.encode())
    assert why in refused.value.message_en, refused.value.message_en
    assert refused.value.message_zh != refused.value.message_en and "信任策略" in refused.value.message_zh
    if text.count("\n") > 1 and why not in ("no quorum line",):
        assert re.search(r"line \d+", refused.value.message_en)


def test_a_verifier_key_of_the_wrong_kind_or_with_a_wrong_id_is_refused():
    assert parse_vkey(VECTOR_LOG_VKEY, 0x01).name == "citychain/demo/market-regulation"
    for bad in (VECTOR_LOG_VKEY.replace("7181484f", "7181484e"), VECTOR_LOG_VKEY + "+x", "name+1234+AQ=="):
        with pytest.raises(ValueError):
            parse_vkey(bad, 0x01)


# -- a foreign witness and the verdicts -------------------------------------------------------
def test_a_witness_that_is_not_ours_cosigns_and_counts_toward_the_quorum(city):
    assert city.witness.answers == [200, 200], city.first_round + city.second_round
    size = int(city.checkpoint.split("\n")[1])
    assert city.witness.size == size and f"— {FOREIGN_NAME} " in city.checkpoint
    policy = VerifierConfig.from_bundle(city.bundle, city.foreign_policy)
    signed = open_checkpoint(city.checkpoint, city.origin, [city.civil_key])
    assert quorum_shortfall_of(signed, policy, CIVIL, int(city.clock.now().timestamp())) is None
    for pdf in (city.pdf_a, city.pdf_b):
        verdict = Verifier(policy, None, city.clock).pdf(pdf)
        assert verdict.code == "VALID" and "w1" in verdict.cosigners, (verdict.code, verdict.detail_en)


def test_a_document_printed_before_its_quorum_is_status_unknown_and_says_how_to_get_a_fresher_proof(city):
    unmet = Verifier(VerifierConfig.from_bundle(city.bundle, city.foreign_policy), None, city.clock)
    verdict = unmet.pdf(city.pdf_a_unwitnessed)
    assert verdict.code == "STATUS_UNKNOWN", verdict.detail_en
    assert "reprint" in verdict.detail_en and "verify --node" in verdict.detail_en and "重新打印" in verdict.detail_zh
    # The bundle alone has no policy: the same file offline is VALID, as before.
    assert Verifier(VerifierConfig.from_bundle(city.bundle), None, city.clock).pdf(city.pdf_a_unwitnessed).ok


def test_the_policy_wins_over_the_bundles_quorum(city, tmp_path, capsys):
    """The city's own policy (k=2 of its agencies) refuses what only the foreign
    witness signed; the foreign policy accepts a checkpoint the bundle's k=2 refuses."""
    exported = tmp_path / "trust-bundle.json"
    code, said = _main(capsys, "trust", "export", "--home", str(city.path / spec.ROOT), str(exported))
    assert code == 0, said
    city_policy = exported.with_suffix(".tlog-policy")
    assert city_policy.exists() and "trust policy written" in said
    bundle_only = VerifierConfig.from_bundle(city.bundle)
    foreign = VerifierConfig.from_bundle(city.bundle, city.foreign_policy)
    ours = VerifierConfig.from_bundle(city.bundle, city_policy)
    assert bundle_only.witness_quorum == 2 and ours.policy.groups[0].threshold == 2
    signed = open_checkpoint(city.checkpoint, city.origin, [city.civil_key])
    now = int(city.clock.now().timestamp())
    assert quorum_shortfall_of(signed, bundle_only, CIVIL, now) is not None
    assert quorum_shortfall_of(signed, foreign, CIVIL, now) is None
    assert "quorum" in quorum_shortfall_of(signed, ours, CIVIL, now)[1]
    verdict = Verifier(ours, None, city.clock).pdf(city.pdf_b)
    assert verdict.code == "STATUS_UNKNOWN" and "reprint" in verdict.detail_en
    # The same through `main.py verify --policy`.
    argv = ("verify", "--trust", str(city.bundle), "--json", str(_saved(tmp_path, city)))
    code, said = _main(capsys, *argv, "--policy", str(city_policy))
    assert code == 1 and json.loads(said)["verdict"] == "STATUS_UNKNOWN", said
    bad = tmp_path / "bad.tlog-policy"
    bad.write_text("quorum nobody\n")
    code, said = _main(capsys, *argv, "--policy", str(bad))
    assert code not in (0, 1) and "line 1" in said and "第 1 行" in said, said


def _saved(tmp_path: Path, city) -> Path:
    path = tmp_path / "b.pdf"
    path.write_bytes(city.pdf_b)
    return path


def test_the_exported_policy_lists_every_log_key_rotated_ones_too_and_every_agency_as_witness(city, tmp_path, capsys):
    out = tmp_path / "bundle.json"
    assert _main(capsys, "trust", "export", "--home", str(city.path / CIVIL), str(out))[0] == 0
    # civil affairs' home names its own policy: that file is what it hands on
    assert out.with_suffix(".tlog-policy").read_bytes() == city.foreign_policy.read_bytes()
    assert _main(capsys, "trust", "export", "--home", str(city.path / spec.ROOT), str(out))[0] == 0
    policy = parse_policy(out.with_suffix(".tlog-policy").read_bytes())
    rotated = policy.log_keys(f"citychain/{spec.CITY}/{ROTATED}")
    assert len(rotated) == 2
    assert {w.name for w in policy.witnesses} == {a.id for a in spec.AGENCIES} | {spec.ROOT}
    demo = parse_policy((city.path / "trust-bundle.tlog-policy").read_bytes())  # `city demo` writes one too
    assert demo.quorum == policy.quorum and {w.name for w in demo.witnesses} == {w.name for w in policy.witnesses}


# -- the lists a node serves --------------------------------------------------------------------
def _tlog_list(text: str) -> list[dict]:
    """C2SP tlog-list, strictly: `logs/v0`, then vkey, [origin], qpd, contact per log."""
    lines = [line.strip(" \t") for line in text.split("\n")]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "logs/v0"
    logs, i = [], 1
    while i < len(lines):
        key, _, vkey = lines[i].partition(" ")
        assert key == "vkey"
        entry = {"vkey": parse_vkey(vkey, 0x01)}
        i += 1
        if lines[i].startswith("origin "):
            entry["origin"], i = lines[i][7:], i + 1
        qpd = lines[i].removeprefix("qpd ")
        assert re.fullmatch(r"[1-9][0-9]*", qpd) and 1 <= int(qpd) < 2**31
        assert lines[i + 1].startswith("contact ")
        entry["qpd"], entry["contact"], i = int(qpd), lines[i + 1][8:], i + 2
        entry.setdefault("origin", entry["vkey"].name)
        logs.append(entry)
    assert len({e["origin"] for e in logs}) == len(logs)
    return logs


def test_v1_logs_tlog_list_and_tlog_policy_are_the_one_place_a_client_looks(city):
    with Node.open(city.path / spec.ROOT, (), clock=city.clock, argon2=FAST_ARGON2) as node:
        with serving(NodeService(node, (), interval=3600)) as url:
            logs = requests.get(url + "/v1/logs", timeout=10)
            listed = requests.get(url + "/v1/tlog-list", timeout=10)
            policy = requests.get(url + "/v1/tlog-policy", timeout=10)
    assert logs.headers["access-control-allow-origin"] == "*" == listed.headers["access-control-allow-origin"]
    entries = {log["agency"]: log for log in logs.json()["logs"]}
    rotated = entries[ROTATED]
    assert rotated["keys"] == [k["kid"] for k in rotated["key_list"]] == list(city.rotated)
    assert [k["state"] for k in rotated["key_list"]] == ["rotated", "current"]
    assert rotated["key_list"][0]["not_after"] and rotated["key_list"][1]["not_after"] is None
    for entry in entries.values():
        assert entry["tiles"] == f"{url}/tlog/{entry['agency']}/" and entry["status"] == "ok"
        for key in entry["key_list"]:
            assert parse_vkey(key["vkey"], 0x01).name == entry["origin"]
    assert listed.headers["content-type"].startswith("text/plain")
    parsed = _tlog_list(listed.text)
    agencies = {a.id for a in spec.AGENCIES} | {spec.ROOT}
    assert {e["origin"] for e in parsed} == {f"citychain/{spec.CITY}/{a}" for a in agencies}
    newest = next(e for e in parsed if e["origin"].endswith(ROTATED))
    assert newest["vkey"].text() == rotated["key_list"][1]["vkey"]
    assert parse_policy(policy.content).quorum == "city-witnesses"


def test_the_kiosk_takes_its_policy_from_kiosk_toml(city, tmp_path):
    from ui.kiosk import config as kiosk_config
    from ui.kiosk.backend_remote import RemoteBackend

    (tmp_path / "far.tlog-policy").write_bytes(city.foreign_policy.read_bytes())
    (tmp_path / kiosk_config.FILE).write_text('policy = "far.tlog-policy"\n')
    settings = kiosk_config.load(tmp_path / kiosk_config.FILE)
    assert settings.policy_path == tmp_path / "far.tlog-policy"
    kiosk = RemoteBackend(city.bundle, None, policy=settings.policy_path)
    kiosk.verifier.clock = city.clock
    assert kiosk.verifier.pdf(city.pdf_a_unwitnessed).code == "STATUS_UNKNOWN"
    assert kiosk.verifier.pdf(city.pdf_b).code == "VALID"
    (tmp_path / kiosk_config.FILE).write_text("policy = 7\n")
    with pytest.raises(kiosk_config.ConfigError):
        kiosk_config.load(tmp_path / kiosk_config.FILE)
