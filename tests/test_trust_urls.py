"""Agencies' URLs in the trust log: registered, changed by the root, refused
when malformed, and how nodes find each other by them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ledger_kit import note, open_node, sign_in
from nodes import LoopbackServer, NodeProcess, free_port, wait_for
from test_cli import cli

from citychain.log.encoding import b64encode
from citychain.log.keys import Signer
from citychain.node.bundle import export_bundle
from citychain.node.home import Home
from citychain.node.kinds import RecordRejected
from citychain.node.peers import BY_HAND, TRUST_LOG
from citychain.node.trust import (
    REGISTERED,
    REVOKED,
    SUSPENDED,
    URL_SET,
    TrustError,
    check_url,
    key_json,
)
from democity import spec

ROOT, A, B, C = spec.ROOT, "market-regulation", "civil-affairs", "public-security"
PASSWORD = spec.PASSWORDS["admin"]


def registration(agency: str, url: str | None = None) -> dict:
    signer = Signer.generate()
    body = {
        "agency": agency,
        "name_zh": "水务局",
        "name_en": "Water Authority",
        "keys": [key_json(signer.kid, signer.public_raw, "2026-01-01T00:00:00.000Z")],
        "permissions": [],
    }
    if url is not None:
        body["url"] = url
    return body


def root_append(city, items, clock=None) -> None:
    with open_node(city, ROOT, clock=clock) as root:
        root.append(sign_in(root, "admin"), items)


def spread_trust_log(city, agencies, clock=None) -> None:
    """Every agency imports the root's trust log, as `trust import` does."""
    with open_node(city, ROOT, clock=clock, write=False) as root:
        bundle = export_bundle(root.store, root.config.city, root.config.root_agency, root.config.root_keys)
    for agency in agencies:
        with open_node(city, agency, clock=clock) as node:
            node.import_trust_bundle(bundle)


def use_trust_log_peers(home: Path) -> None:
    """Undo what `quiet_demo_city` sets: this home finds its peers in the trust log."""
    config = Home(home).config()
    Home(home).write_config(type(config)(**{**config.__dict__, "extra": {"sync": {"trust_log_peers": True}}}))


@pytest.mark.parametrize(
    "url",
    [
        "https://water.example.gov.cn:8443",
        "http://127.0.0.1:8700",
        "http://localhost:9000",
        "http://[::1]:8700",
        "https://[2001:db8::1]:443",
    ],
)
def test_good_urls(url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://water.example.gov.cn:8080",  # plain http beyond loopback
        "https://water.example.gov.cn",  # no port
        "https://water.example.gov.cn:0",
        "https://water.example.gov.cn:65536",
        "https://water.example.gov.cn:08443",
        "https://water.example.gov.cn:8443/",  # a path, even "/"
        "https://water.example.gov.cn:8443/v1",
        "https://water.example.gov.cn:8443?x=1",
        "https://user@water.example.gov.cn:8443",
        "https://Water.example.gov.cn:8443",
        "HTTPS://water.example.gov.cn:8443",
        "ftp://water.example.gov.cn:21",
        "https://wa ter.example.gov.cn:8443",
        "https://水务.example.gov.cn:8443",
        "https://[zz]:8443",
        "",
        None,
        8443,
    ],
)
def test_bad_urls_are_refused_in_both_languages(url):
    with pytest.raises(TrustError) as caught:
        check_url(url)
    assert caught.value.code == "BAD_URL"
    assert "机构地址" in caught.value.message_zh and "https://HOST:PORT" in caught.value.message_en


def test_url_registered_changed_and_refused_in_the_trust_log(demo_city, clock):
    root_append(demo_city, [(REGISTERED, registration("water", "https://water.example.gov.cn:8443"))], clock)
    root_append(demo_city, [(REGISTERED, registration("gas"))], clock)  # older form: no url, still valid
    with open_node(demo_city, ROOT, clock=clock) as root:
        admin = sign_in(root, "admin")
        assert root.trust.agency("water").url == "https://water.example.gov.cn:8443"
        assert root.trust.agency("gas").url is None
        assert root.trust.agency(A).url == "http://127.0.0.1:8701"  # the demo registers its fixed addresses
        root.append(admin, [(URL_SET, {"agency": "water", "url": "https://water2.example.gov.cn:9443"})])
        assert root.trust.agency("water").url == "https://water2.example.gov.cn:9443"
        size = root.trust.size
        for kind, body, code in (
            (URL_SET, {"agency": "water", "url": "http://water.example.gov.cn:80"}, "BAD_URL"),
            (URL_SET, {"agency": "water"}, "BAD_URL"),
            (URL_SET, {"agency": "nobody", "url": "https://x.example:1"}, "UNKNOWN_ISSUER"),
            (REGISTERED, registration("oil", "https://oil.example.gov.cn"), "BAD_URL"),
        ):
            with pytest.raises(RecordRejected) as caught:
                root.append(admin, [(kind, body)])
            assert caught.value.code == code
        assert root.trust.size == size and root.store.head(ROOT).size == size  # nothing written
        root.append(admin, [(REVOKED, {"agency": "water", "reason": "closed"})])
        with pytest.raises(RecordRejected) as caught:
            root.append(admin, [(URL_SET, {"agency": "water", "url": "https://water3.example.gov.cn:1"})])
        assert caught.value.code == "AGENCY_REVOKED"


def test_peers_are_active_agencies_from_the_trust_log_and_those_added_by_hand(demo_city, clock):
    root_append(
        demo_city,
        [
            (URL_SET, {"agency": C, "url": "http://127.0.0.1:9999"}),
            (SUSPENDED, {"agency": C, "reason": "audit"}),
            (REGISTERED, registration("water", "https://water.example.gov.cn:8443")),
            (REVOKED, {"agency": "water", "reason": "closed"}),
        ],
        clock,
    )
    spread_trust_log(demo_city, [A], clock)
    with open_node(demo_city, A, clock=clock) as node:
        assert node.peers() == []  # quiet_demo_city: `[sync] trust_log_peers = false`, none by hand
        node.add_peer("http://127.0.0.1:8703")  # civil-affairs' URL, also added by hand
        node.add_peer("http://127.0.0.1:7000/")
        assert node.peer_urls() == ["http://127.0.0.1:7000", "http://127.0.0.1:8703"]
    use_trust_log_peers(demo_city.home(A))
    with open_node(demo_city, A, clock=clock, write=False) as node:  # for writing it would ask them all first
        peers = {p.url: (p.sources, p.agency) for p in node.peers()}
        assert node.hand_peer_urls() == ["http://127.0.0.1:7000", "http://127.0.0.1:8703"]
    assert peers == {
        "http://127.0.0.1:7000": ((BY_HAND,), None),
        "http://127.0.0.1:8700": ((TRUST_LOG,), ROOT),
        "http://127.0.0.1:8703": ((TRUST_LOG, BY_HAND), B),
        "http://127.0.0.1:8704": ((TRUST_LOG,), "disabled-federation"),
        "http://127.0.0.1:8705": ((TRUST_LOG,), "charity-federation"),
    }  # never our own 8701, nor suspended public-security (8702), nor revoked water


def test_cli_add_agency_with_url_and_set_url(demo_city):
    root = str(demo_city.home(ROOT))
    admin = ("--home", root, "--user", "admin")

    def add_agency(agency: str, url: str):
        key = b64encode(Signer.generate().public_raw)
        names = ("--name-zh", "水务局", "--name-en", "Water Authority", "--public-key", key)
        return cli("trust", "add-agency", *admin, "--agency", agency, *names, "--url", url, password=PASSWORD)

    def set_url(url: str):
        return cli("trust", "set-url", *admin, "--agency", "water", "--url", url, password=PASSWORD)

    def shown() -> str:
        return cli("trust", "show", "--home", root).stdout

    done = add_agency("water", "https://water.example.gov.cn:8443")
    assert done.returncode == 0, done.stderr
    assert "url: https://water.example.gov.cn:8443" in shown()
    done = set_url("https://water.example.gov.cn:9443")
    assert done.returncode == 0 and "trust.url.set: water" in done.stdout, done.stderr
    assert "url: https://water.example.gov.cn:9443" in shown() and ":8443" not in shown()

    size = re.match(rf"trust log of {ROOT}: (\d+) records", shown()).group(1)
    for done in (
        set_url("http://water.example.gov.cn:9443"),
        set_url("https://water.example.gov.cn"),
        add_agency("gas", "https://gas.example.gov.cn:1/x"),
    ):
        assert done.returncode == 2, done.stdout
        assert "机构地址" in done.stderr and "https://HOST:PORT" in done.stderr and "Traceback" not in done.stderr
    assert shown().startswith(f"trust log of {ROOT}: {size} records") and "gas" not in shown()  # nothing written


class Counting(LoopbackServer):
    """Where a suspended agency's URL points: it must never be asked anything."""

    def __init__(self) -> None:
        self.port, self.requests = free_port(), 0

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        def count(request):
            self.requests += 1
            return JSONResponse({"logs": []})

        return Starlette(routes=[Route("/{path:path}", count, methods=["GET", "POST"])])


def status_peers(node: NodeProcess) -> dict[str, dict]:
    return {p["url"]: p for p in node.get("/v1/status").json()["peers"]}


def test_nodes_find_each_other_in_the_trust_log_and_follow_a_url_change(demo_city, clock):
    """A, B and the root know each other only from the trust log; A moves, the
    root says so in the trust log, and B follows it to the new address."""
    port = {name: free_port() for name in (ROOT, A, B)}
    url = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    with Counting() as suspended:
        root_append(
            demo_city,
            [(URL_SET, {"agency": name, "url": url[name]}) for name in (ROOT, A, B)]
            + [
                (URL_SET, {"agency": C, "url": suspended.url}),
                (SUSPENDED, {"agency": C, "reason": "audit"}),
            ],
            clock,
        )
        spread_trust_log(demo_city, [A, B], clock)
        for name in (ROOT, A, B):
            use_trust_log_peers(demo_city.home(name))
        nodes = {name: NodeProcess(demo_city.home(name), port[name]) for name in (ROOT, A, B)}  # no peer by hand
        try:
            for node in nodes.values():
                node.start(wait=False)
            for node in nodes.values():
                node.wait_ready()
            a, b, root = nodes[A], nodes[B], nodes[ROOT]
            reply = a.append(a.login("clerk"), [note(i) for i in range(3)])
            assert reply.status_code == 201, reply.text
            wait_for(lambda: b.size_of(A) == 3, timeout=30)
            peers = status_peers(b)
            assert peers[url[A]]["sources"] == ["trust-log"] and peers[url[A]]["agency"] == A
            assert url[B] not in peers and suspended.url not in peers

            # A moves: the root writes its new URL; every node learns it from the trust log.
            a.stop()
            moved = NodeProcess(demo_city.home(A), free_port())
            reply = root.append(root.login("admin"), [(URL_SET, {"agency": A, "url": moved.url})])
            assert reply.status_code == 201, reply.text
            trust_size = root.size_of(ROOT)
            wait_for(lambda: b.size_of(ROOT) == trust_size, timeout=30)
            moved.start()
            nodes[A] = moved
            wait_for(lambda: moved.size_of(ROOT) == trust_size, timeout=30)
            reply = moved.append(moved.login("clerk"), [note(i) for i in range(3, 5)])
            assert reply.status_code == 201, reply.text
            wait_for(lambda: b.size_of(A) == 5, timeout=30)
            peers = status_peers(b)
            assert peers[moved.url]["agency"] == A and url[A] not in peers
            assert suspended.requests == 0  # a suspended agency is never synced with
        finally:
            for node in nodes.values():
                node.stop()
