"""Registry rules (docs/protocol.md §11, *Registry rules*): one live licence per
credit code (and premises), per ID number, per married person. A refused issue
names the live licence that blocks it and writes nothing; supersede is the way
to change one; a peer's log that breaks a business rule is LOG_INVALID; and
records before the rules' activation stay valid."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from conftest import FAST_ARGON2, quiet_demo_city
from nodes import serving
from test_charity_rules import agency_signer, checkpoint_over, hand_built_log, log_of
from test_cli import cli

from certificates import kinds, registry
from certificates.desk import PRIVATE_NS, CertificateDesk
from certificates.identifiers import CertificateId
from certificates.kinds import PLUGIN
from certificates.types import licence_type
from certificates.verify import HomeStatus, Verifier, VerifierConfig
from citychain.clock import FakeClock, SystemClock
from citychain.log.commitments import commit_all, new_seed
from citychain.log.records import Record, parse_leaf
from citychain.net.service import NodeService
from citychain.node.bundle import export_bundle
from citychain.node.derived import rederive
from citychain.node.kinds import Context, RecordRejected
from citychain.node.mirror import MirrorRejected
from citychain.node.node import Node
from citychain.node.trust import RULES_ACTIVATED
from democity import samples, spec
from democity.build import DemoCity

MARKET, CIVIL, POLICE, DISABLED = "market-regulation", "civil-affairs", "public-security", "disabled-federation"
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
SAMPLES = samples.SAMPLES


@pytest.fixture(scope="module")
def activated(tmp_path_factory):
    """The demo city (shared build), with a second live business licence for the
    sample's credit code issued before the root puts the rules in force a second later."""
    clock = FakeClock(START)
    city = quiet_demo_city(tmp_path_factory.mktemp("registry") / "city", (PLUGIN,), clock)
    with open_node(city, MARKET, clock) as node:
        form = SAMPLES["business-licence"] | {"company_name": "规则生效前的另一家公司"}
        early = CertificateDesk(node).issue(sign_in(node, "clerk"), "business-licence", form)
    clock.advance(seconds=1)
    with open_node(city, spec.ROOT, clock) as root:
        root.append(sign_in(root, "admin"), [(RULES_ACTIVATED, {"rules": registry.RULES})])
        ca_pem = root.home.city_ca_path.read_text("ascii")
        config = root.config
        bundle = export_bundle(root.store, config.city, config.root_agency, config.root_keys, ca_pem, 0)
    for agency in spec.AGENCIES:
        with open_node(city, agency.id, clock) as node:
            node.import_trust_bundle(bundle)
    return city, early.cert_id


@pytest.fixture
def city(activated, tmp_path):
    shutil.copytree(activated[0].path, tmp_path / "city")
    return DemoCity(tmp_path / "city", spec.AGENCIES)


def open_node(city, agency: str, clock=None) -> Node:
    return Node.open(Path(city.home(agency)), (PLUGIN,), argon2=FAST_ARGON2, clock=clock)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def valid_sample(node: Node, type_id: str) -> str:
    """The demo's VALID sample of a type: the first one issued."""
    (cert_id,) = node.store.conn.execute(
        "SELECT id FROM certificates WHERE type = ? ORDER BY seq LIMIT 1", (type_id,)
    ).fetchone()
    return cert_id


def own_size(node: Node) -> int:
    return node.store.head(node.config.agency).size


def refused(node: Node, type_id: str, form: dict) -> registry.LiveLicence:
    """Issue `form`, expect the refusal, and check that nothing was written."""
    desk, size = CertificateDesk(node), own_size(node)
    next_id = str(desk._next_id(licence_type(type_id)))
    with pytest.raises(registry.LiveLicence) as caught:
        desk.issue(sign_in(node, "clerk"), type_id, form)
    assert own_size(node) == size and node.private().get(PRIVATE_NS, next_id) is None
    error = caught.value
    assert error.code == "LIVE_LICENCE" and error.blocking in error.message_zh and error.blocking in error.message_en
    assert "supersede" in error.message_en and "替换" in error.message_zh
    return error


# -- each rule, refused by the issuing desk ------------------------------------------------
def test_each_rule_names_the_live_licence_and_writes_nothing(city):
    with open_node(city, MARKET) as node:
        blocking = valid_sample(node, "business-licence")
        error = refused(node, "business-licence", SAMPLES["business-licence"] | {"company_name": "另一家贸易有限公司"})
        assert error.blocking == blocking and set(error.fields) == {"uscc"}
        food = valid_sample(node, "food-business-licence")
        error = refused(node, "food-business-licence", SAMPLES["food-business-licence"] | {"main_business": "餐饮"})
        assert error.blocking == food and set(error.fields) == {"uscc", "premises"}
        # the same code at other premises is another food business licence; the spacing of an address is not
        moved = SAMPLES["food-business-licence"] | {"premises": "示范市西湖区龙井路 20 号"}
        CertificateDesk(node).issue(sign_in(node, "clerk"), "food-business-licence", moved)
        respaced = moved | {"premises": "示范市西湖区龙井路  20  号"}
        assert refused(node, "food-business-licence", respaced).blocking != food
    with open_node(city, POLICE) as node:
        blocking = valid_sample(node, "residence-permit")
        error = refused(node, "residence-permit", SAMPLES["residence-permit"] | {"holder_name": "欧阳明"})
        assert error.blocking == blocking and set(error.fields) == {"holder_id"}
        # the suspended sample is still live: its holder gets no second permit either
        suspended = samples.OTHERS["residence-permit"]
        assert refused(node, "residence-permit", SAMPLES["residence-permit"] | suspended).blocking != blocking
    with open_node(city, DISABLED) as node:
        blocking = valid_sample(node, "disability-certificate")
        error = refused(node, "disability-certificate", SAMPLES["disability-certificate"] | {"grade": "1"})
        assert error.blocking == blocking
    with open_node(city, CIVIL) as node:
        blocking = valid_sample(node, "marriage-certificate")
        married = SAMPLES["marriage-certificate"]
        # the spouse of a live marriage, now named as the holder of another
        others = married | samples.OTHERS["marriage-certificate"]
        form = others | {"holder_id": married["spouse_id"], "holder_name": "李娜"}
        error = refused(node, "marriage-certificate", form)
        assert error.blocking == blocking and set(error.fields) == {"holder_id"}
        # the revoked sample's couple may marry again
        again = others | {"registered_on": "2026-02-28"}
        CertificateDesk(node).issue(sign_in(node, "clerk"), "marriage-certificate", again)


def test_supersede_is_the_way_to_change_a_live_licence(city):
    with open_node(city, MARKET) as node:
        desk, boss = CertificateDesk(node), sign_in(node, "supervisor")
        old = valid_sample(node, "food-business-licence")
        renamed = SAMPLES["food-business-licence"] | {"company_name": "示范市西湖龙井茶业集团有限公司"}
        new = desk.supersede(boss, old, renamed, "名称变更 / change of name")
        assert desk.status(old).status == "superseded" and desk.status(new.cert_id).status == "valid"
        public = new.leaf.record.body["public"]
        assert public["uscc"] == SAMPLES["food-business-licence"]["uscc"] and len(public["premises_sha256"]) == 64
        # the new version is now the live one that blocks a second licence
        assert refused(node, "food-business-licence", renamed).blocking == new.cert_id
    with open_node(city, POLICE) as node:
        desk = CertificateDesk(node)
        old = valid_sample(node, "residence-permit")
        moved = SAMPLES["residence-permit"] | {"address": "示范市上城区解放路 1 号"}
        new = desk.supersede(sign_in(node, "supervisor"), old, moved, "居住地变更 / moved")
        assert desk.status(new.cert_id).status == "valid"
        assert refused(node, "residence-permit", moved).blocking == new.cert_id


def test_the_http_desk_and_the_cli_refuse_the_same_way(city):
    with open_node(city, MARKET) as node:
        blocking, size = valid_sample(node, "business-licence"), own_size(node)
        with serving(NodeService(node, (PLUGIN,), interval=3600)) as url:
            login = requests.post(
                url + "/v1/login", json={"user": "clerk", "password": spec.PASSWORDS["clerk"]}, timeout=10
            )
            form = SAMPLES["business-licence"] | {"company_name": "另一家贸易有限公司"}
            reply = requests.post(
                url + "/v1/certificates",
                json={"type": "business-licence", "form": form},
                headers={"Authorization": f"Bearer {login.json()['token']}"},
                timeout=10,
            )
        assert reply.status_code == 409
        answer = reply.json()
        assert answer["error"] == "LIVE_LICENCE" and answer["blocking"] == blocking
        assert blocking in answer["message_zh"] and blocking in answer["message_en"] and "uscc" in answer["fields"]
        assert own_size(node) == size
    fields = [f"--field={name}={value}" for name, value in form.items()]
    run = cli(
        "issue", "--home", str(city.home(MARKET)), "--user", "clerk", "--type", "business-licence", *fields,
        password=spec.PASSWORDS["clerk"],
    )  # fmt: skip
    assert run.returncode == 2 and blocking in run.stderr and "supersede" in run.stderr
    with open_node(city, MARKET) as node:
        assert own_size(node) == size


# -- every node enforces the business rules ------------------------------------------------
def duplicate_issue(serial: str = "000099") -> tuple[str, dict]:
    """A business licence for the sample's credit code, as a rogue desk would sign it."""
    market = next(a for a in spec.AGENCIES if a.id == MARKET)
    values = dict(SAMPLES["business-licence"], company_name="冒用代码的公司", registered_capital=100)
    body = {
        "id": str(CertificateId("11100", market.uscc, serial)),
        "type": "business-licence",
        "valid_from": "2026-03-01",
        "commitments": commit_all(new_seed(), values),
        "public": {"uscc": values["uscc"]},
    }
    return kinds.ISSUED, body


def test_a_peers_log_that_breaks_a_business_rule_is_log_invalid(city):
    with open_node(city, MARKET) as market:
        leaves, _ = log_of(market, MARKET)
        blocking = valid_sample(market, "business-licence")
    signer = agency_signer(city, MARKET)
    last = parse_leaf(leaves[-1])
    later = FakeClock(datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC))  # after the rules came in force
    rogue = hand_built_log(signer, MARKET, [duplicate_issue()], later, len(leaves), last.hash_hex)
    grown = leaves + rogue
    with open_node(city, CIVIL) as peer:
        have = peer.store.head(MARKET).size  # short of the licence issued before the rules: it comes along
        with pytest.raises(MirrorRejected) as caught:
            peer.import_log(
                MARKET, f"citychain/demo/{MARKET}", have, grown[have:], checkpoint_over(grown, signer, MARKET)
            )
        seq = len(leaves)
        assert (caught.value.code, caught.value.seq) == ("LOG_INVALID", seq)
        assert f"entry {seq} (certificate.issued)" in str(caught.value) and "LIVE_LICENCE" in str(caught.value)
        assert blocking in str(caught.value)
        head = peer.store.head(MARKET)
        assert head.status == "invalid" and head.size == have and blocking in head.status_detail


def test_records_before_the_activation_stay_valid(activated, city):
    with open_node(city, CIVIL) as node:  # a mirror takes in the licence issued before the rules
        with open_node(city, MARKET) as market:
            leaves, note = log_of(market, MARKET)
        have = node.store.head(MARKET).size
        node.import_log(MARKET, f"citychain/demo/{MARKET}", have, leaves[have:], note)
        assert node.store.head(MARKET).status == "ok"
        statuses = dict(node.store.conn.execute("SELECT id, status FROM certificates WHERE type = 'business-licence'"))
        assert statuses[activated[1]] == "valid" and list(statuses.values()) == ["valid", "valid"]
    for home in (MARKET, CIVIL):  # and `log check`'s replay finds no broken rule in it
        with open_node(city, home) as node:
            found = rederive(node.home.db_path, (PLUGIN,), node.trust)
        assert not found.broken and not found.differences
    with open_node(city, CIVIL) as node:
        head = node.store.head(MARKET)
        since = node.trust.rules[registry.RULES]
        ctx = Context(node.store.conn, head.id, node.trust)
        kind, body = duplicate_issue()
        check = node.kinds.get(kind).check

        def record(time: str, body: dict = body) -> Record:
            return Record(MARKET, head.size, "0" * 64, time, kind, body)

        with pytest.raises(registry.LiveLicence):
            check(record(since), ctx)
        check(record("2026-02-28T23:59:59.999Z"), ctx)  # before the rules: stays valid
        no_public = {k: v for k, v in body.items() if k != "public"}
        check(record("2026-02-28T23:59:59.999Z", no_public), ctx)  # an older record carries no credit code
        with pytest.raises(RecordRejected) as caught:
            check(record(since, no_public), ctx)
        assert caught.value.code == "MALFORMED" and caught.value.field == "public"


def test_the_activation_is_once_and_never_backwards(city):
    with Node.open(Path(city.home(spec.ROOT)), (PLUGIN,), argon2=FAST_ARGON2, clock=FakeClock(START)) as root:
        admin = sign_in(root, "admin")
        with pytest.raises(RecordRejected, match="already in force"):
            root.append(admin, [(RULES_ACTIVATED, {"rules": registry.RULES})])
        with pytest.raises(RecordRejected, match="before the record"):
            root.append(admin, [(RULES_ACTIVATED, {"rules": "other.rules", "from": "2026-01-01T00:00:00.000Z"})])
        root.append(admin, [(RULES_ACTIVATED, {"rules": "other.rules", "from": "2026-06-01T00:00:00.000Z"})])
        assert root.trust.rules["other.rules"] == "2026-06-01T00:00:00.000Z"
        assert not root.trust.rules_apply("other.rules", "2026-05-31T23:59:59.999Z")


# -- the events that end a licence ---------------------------------------------------------
def test_a_deregistration_is_said_in_its_own_words_and_frees_the_code(activated, city):
    with open_node(city, MARKET) as node:
        desk, boss = CertificateDesk(node), sign_in(node, "supervisor")
        old = valid_sample(node, "business-licence")
        with pytest.raises(RecordRejected) as caught:  # a cause ends a licence: never on a suspension
            node.append(boss, [(kinds.SUSPENDED, {"id": old, "reason": "x", "cause": "deregistered"})])
        assert caught.value.field == "cause"
        desk.change(boss, kinds.REVOKED, old, "企业申请注销 / the company applied", cause="deregistered")
        assert desk.printed(old).void_reason == ("已撤销·注销登记", "REVOKED — deregistered")
        qr = desk.qr_text(old)
        assert refused(node, "business-licence", SAMPLES["business-licence"]).blocking == activated[1]
        desk.change(boss, kinds.REVOKED, activated[1], "企业申请注销 / the company applied", cause="deregistered")
        # a new company may take up the code once no licence for it is live
        CertificateDesk(node).issue(sign_in(node, "clerk"), "business-licence", SAMPLES["business-licence"])
    verifier = Verifier(VerifierConfig.from_home(city.home(CIVIL)), HomeStatus(city.home(MARKET), SystemClock()))
    verdict = verifier.qr(qr)
    assert verdict.code == "REVOKED" and (verdict.detail_zh, verdict.detail_en) == (
        "原因：注销登记",
        "cause: deregistered",
    )
    assert "注销登记 / cause: deregistered" in verdict.text()


def test_the_premises_vector_in_the_protocol():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text("utf-8")
    section = doc.split("### Registry rules", 1)[1].split("### QR code text", 1)[0]
    premises, digest = re.search(r"Test vector: premises `([^`]+)`.*?`([0-9a-f]{64})`", section, re.S).groups()
    assert premises == SAMPLES["food-business-licence"]["premises"]
    assert registry.premises_digest(premises) == registry.premises_digest(f"  {premises.replace(' ', '  ')} ") == digest
