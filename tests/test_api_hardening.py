"""The node's HTTP API against stale sessions and hostile input, over HTTP on
127.0.0.1: a session ends when its account changes (whatever door, whatever
process changed it), bodies are capped while they stream, strangers in flight
are bounded, odd input is a 4xx in our error shape on every route, and Argon2
runs outside the node's lock."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
import requests
from conftest import FAST_ARGON2, quiet_demo_city
from ledger_kit import TEST_PLUGIN, note
from nodes import NodeProcess, free_port, serving, wait_for

import citychain.accounts.users
from certificates.identifiers import parse_certificate_id
from certificates.kinds import PLUGIN as CERTIFICATES
from charity.kinds import PLUGIN as CHARITY
from charity.receipts import make_receipt
from citychain.accounts.users import LockoutPolicy
from citychain.net.api import MAX_ANONYMOUS, NOTIFY_BODY, make_app
from citychain.net.service import NodeService
from citychain.node.node import Node
from democity import samples, spec

MARKET, CHARITY_AGENCY = "market-regulation", "charity-federation"
ROOT = Path(__file__).resolve().parent.parent
PLUGINS = (TEST_PLUGIN, CERTIFICATES, CHARITY)  # what tests/node_runner.py serves


def new_city(tmp_path_factory, name: str):
    return quiet_demo_city(tmp_path_factory.mktemp(name) / "city")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return new_city(tmp_path_factory, "hardening")


@pytest.fixture(scope="module")
def market(city):
    node = NodeProcess(city.home(MARKET), free_port()).start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def licence(market) -> str:
    """A business licence the market node issued (its holder's ID number is private)."""
    reply = requests.post(
        market.url + "/v1/certificates",
        headers=bearer(market.login("clerk")),
        timeout=30,
        json={"type": "business-licence", "form": samples.SAMPLES["business-licence"]},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["cert_id"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(node: NodeProcess, name: str, password: str) -> str:
    reply = requests.post(node.url + "/v1/login", json={"user": name, "password": password}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["token"]


def user_cli(city, *args: str, new_password: str = "") -> None:
    """`main.py user …` as the admin, in a process of its own, while the node runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYCHAIN_")}
    env.update(CITYCHAIN_PASSWORD=spec.PASSWORDS["admin"], CITYCHAIN_NEW_PASSWORD=new_password)
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "user", *args, "--home", str(city.home(MARKET)), "--user", "admin"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


# -- 5. sessions end with the account they were made for ------------------------------------
def session_uses(cert_id: str) -> list[tuple[str, str, dict | None]]:
    """Reads of private data and a write, as a stolen token would use them."""
    one = f"/v1/certificates/{cert_id}"
    return [
        ("GET", "/v1/desk/session", None),
        ("GET", "/v1/certificates", None),
        ("GET", one, None),
        ("GET", one + "/values", None),
        ("GET", "/v1/charity/desk/funds", None),
        ("GET", "/v1/charity/desk/donations", None),
        ("POST", "/v1/desk/sync", {}),
        ("POST", one + "/suspend", {"reason": "stolen token"}),
        ("POST", "/v1/records", {"records": [{"kind": note(1)[0], "body": note(1)[1]}]}),
    ]


def answers(node: NodeProcess, token: str, uses) -> dict[str, requests.Response]:
    return {
        f"{method} {path}": requests.request(method, node.url + path, json=body, headers=bearer(token), timeout=30)
        for method, path, body in uses
    }


def assert_signed_out(node: NodeProcess, token: str, cert_id: str, says: str) -> None:
    """Every use is refused; the first says why (the node then forgets the token)."""
    replies = answers(node, token, session_uses(cert_id))
    for use, reply in replies.items():
        assert reply.status_code == 401, (use, reply.status_code, reply.text)
        assert reply.json()["error"] == "UNAUTHENTICATED" and reply.json()["message_zh"], (use, reply.text)
    assert says in next(iter(replies.values())).json()["message_en"]


def test_a_new_password_set_in_another_process_ends_the_users_sessions(city, market, licence):
    user_cli(city, "add", "--name", "temp-boss", "--role", "supervisor", new_password="temp-boss-password-1")
    stolen = sign_in(market, "temp-boss", "temp-boss-password-1")
    other = market.login("supervisor")
    reads = [use for use in session_uses(licence) if use[0] == "GET"]
    assert {use: r.status_code for use, r in answers(market, stolen, reads).items()} == {
        f"GET {path}": 200 for _, path, _ in reads
    }
    values = requests.get(f"{market.url}/v1/certificates/{licence}/values", headers=bearer(stolen), timeout=30)
    assert samples.SAMPLES["business-licence"]["legal_rep"] in values.text  # what a stolen token would read

    user_cli(city, "passwd", "--name", "temp-boss", new_password="temp-boss-password-2")  # the CLI, not the node
    assert_signed_out(market, stolen, licence, "sign in again")
    fresh = sign_in(market, "temp-boss", "temp-boss-password-2")
    assert requests.get(f"{market.url}/v1/certificates/{licence}/values", headers=bearer(fresh), timeout=30).ok
    assert requests.get(market.url + "/v1/desk/session", headers=bearer(other), timeout=30).ok  # others keep theirs


def test_a_disabled_users_token_reads_nothing_more(city, market, licence):
    user_cli(city, "add", "--name", "temp-clerk", "--role", "clerk", new_password="temp-clerk-password-1")
    token = sign_in(market, "temp-clerk", "temp-clerk-password-1")
    assert requests.get(market.url + "/v1/certificates", headers=bearer(token), timeout=30).ok
    user_cli(city, "disable", "--name", "temp-clerk")
    assert_signed_out(market, token, licence, "disabled")


def test_a_role_changed_by_any_door_ends_the_session(city, market, licence):
    user_cli(city, "add", "--name", "temp-role", "--role", "supervisor", new_password="temp-role-password-1")
    token = sign_in(market, "temp-role", "temp-role-password-1")
    assert requests.get(f"{market.url}/v1/certificates/{licence}", headers=bearer(token), timeout=30).ok
    with sqlite3.connect(city.home(MARKET) / "ledger.sqlite") as conn:  # a door the node never hears of
        conn.execute("UPDATE users SET role = 'clerk' WHERE name = 'temp-role'")
    assert_signed_out(market, token, licence, "sign in again")


def test_only_the_standard_bearer_header_is_accepted(market):
    token = market.login("clerk")
    session = market.url + "/v1/desk/session"
    for header in (
        token,
        f"Token {token}",
        f"Bearer{token}",
        f"Bearer {token} {token}",
        f"Basic {token}",
        f"Bearer {token}²",
        "Bearer ",
        f"Bearer\t{token}",
    ):
        reply = requests.get(session, headers={"Authorization": header}, timeout=30)
        assert reply.status_code == 401 and reply.json()["error"] == "UNAUTHENTICATED", header
    bare = requests.post(
        market.url + "/v1/records",
        json={"records": [{"kind": note(1)[0], "body": note(1)[1]}]},
        headers={"Authorization": token},
        timeout=30,
    )
    assert bare.status_code == 401
    for header in (f"Bearer {token}", f"bearer {token}", f"BEARER  {token}"):  # the scheme is case-insensitive
        assert requests.get(session, headers={"Authorization": header}, timeout=30).status_code == 200, header


# -- 6. bodies and strangers are bounded -----------------------------------------------------
def raw_exchange(node: NodeProcess, head: bytes, timeout: float = 10) -> bytes:
    """Send `head` and nothing more; the whole answer (a socket timeout if none comes)."""
    with socket.create_connection(("127.0.0.1", node.port), timeout=timeout) as conn:
        conn.sendall(head)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < int(
            reply.lower().partition(b"content-length: ")[2].split(b"\r\n")[0] or 0
        ):
            reply += conn.recv(65536)
        return reply


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(market):
    for path in ("/v1/notify", "/v1/login", "/v1/witness/add-checkpoint", "/v1/charity/desk/funds"):
        reply = raw_exchange(
            market,
            f"POST {path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000000000\r\n\r\n".encode(),
        )  # and no body follows
        expected = b"401" if path.startswith("/v1/charity/desk") else b"413"  # strangers' bodies are not read
        assert reply.startswith(b"HTTP/1.1 " + expected) and b'"message_zh"' in reply, reply[:300]
    over = requests.post(market.url + "/v1/notify", data=b" " * (NOTIFY_BODY + 1), timeout=30)
    assert over.status_code == 413 and over.json()["error"] == "TOO_LARGE" and over.json()["message_zh"]


def test_huge_chunked_bodies_are_cut_off_as_they_stream_and_memory_stays_bounded(market):
    process = psutil.Process(market.proc.pid)
    mebibyte = b"x" * (1 << 20)

    def flood() -> requests.Response:  # a generator body goes chunked: no length is declared
        return requests.post(market.url + "/v1/notify", data=(mebibyte for _ in range(32)), timeout=120)

    before = peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: flood(), range(4)))
    finally:
        done.set()
        sampler.join()
    assert peak - before < 24 << 20, f"RSS grew by {(peak - before) >> 20} MiB for 4 × 32 MiB sent"
    assert [r.status_code for r in replies] == [413] * 4 and replies[0].json()["error"] == "TOO_LARGE"
    assert market.get("/v1/status").status_code == 200


def test_strangers_in_flight_are_bounded_and_signed_in_counters_still_served(market):
    token = market.login("clerk")
    stalled = []
    try:
        for _ in range(MAX_ANONYMOUS):  # each sends its headers, then nothing: the node waits for the body
            conn = socket.create_connection(("127.0.0.1", market.port), timeout=10)
            conn.sendall(b"POST /v1/notify HTTP/1.1\r\nHost: node\r\nTransfer-Encoding: chunked\r\n\r\n")
            stalled.append(conn)
        wait_for(lambda: market.get("/v1/status").status_code == 503, timeout=10)
        busy = market.get("/v1/status")
        assert busy.headers["Retry-After"] == "1" and busy.json()["error"] == "BUSY" and busy.json()["message_zh"]
        assert requests.get(market.url + "/v1/desk/session", headers=bearer(token), timeout=10).status_code == 200
    finally:
        for conn in stalled:
            conn.close()
    wait_for(lambda: market.get("/v1/status").status_code == 200, timeout=10)


# -- 7. odd input is a 4xx in our shape, on every route ---------------------------------------
class _RoutesOnly:  # just enough for make_app to list the routes a test node serves
    node = readers = None
    plugins = PLUGINS


def served_routes() -> list[tuple[str, str]]:
    return sorted(
        (route.path, method) for route in make_app(_RoutesOnly()).routes for method in route.methods - {"HEAD"}
    )


ODD_TEXT = [
    "²",
    "٣",
    "１",
    "-1",
    "0",
    "1.5",
    "1e3",
    "NaN",
    "true",
    "",
    " ",
    "99999999999999999999999",
    "\x00",
    "D-²-X",
    "REQ-²",
    "1.2.156.3005.2.²",
]
ODD_QUERY = [quote(text, safe="") for text in ODD_TEXT] + ["%FF", "%C0%AF", "%ED%A0%80"]  # invalid UTF-8
LONG = ["9" * 5000, "x" * 3000]  # one at a time: a request line is at most 16 KiB (uvicorn)
SHARP_QUERY = [quote("²"), "99999999999999999999", "%FF", *LONG]
PARAMS = (
    "start",
    "end",
    "index",
    "size",
    "from",
    "to",
    "full",
    "limit",
    "offset",
    "text",
    "type",
    "status",
    "sort",
    "descending",
    "date_from",
    "date_to",
    "charity",
    "fund",
    "agency",
    "id",
    "receipt",
    "seq",
)
FIELDS = (
    "user",
    "password",
    "records",
    "kind",
    "body",
    "agency",
    "size",
    "type",
    "form",
    "reason",
    "valid_from",
    "valid_until",
    "fund_id",
    "project_id",
    "name_zh",
    "name_en",
    "target_fen",
    "budget_fen",
    "amount_fen",
    "channel",
    "donor_name",
    "donor_id_number",
    "anonymous",
    "beneficiary_name",
    "beneficiary_id_number",
    "beneficiary_agency",
    "purpose",
    "request_id",
    "charity",
)
ODD_VALUES = ["²", 10**30, -(10**30), -1, 0, None, [], {}, True, 1.5, "x" * 5000, "", "\ud800", [1], {"a": "²"}]


def odd_bodies() -> list[bytes]:
    deep = 2000
    bodies = [
        b"",
        b" ",
        b"{}",
        b"[]",
        b"[1]",
        b"null",
        b"1",
        b'"x"',
        b"[" * deep + b"]" * deep,
        b'{"a":' * deep + b"1" + b"}" * deep,
        b"\xff\xfe\x00",
        b'{"x": NaN}',
        b'{"x": 1e999}',
        b'{"x": "\\ud800"}',
        b"1" * 5000,
        b'{"records": []}',
        b'{"records": [1]}',
        b'{"records": {}}',
        b"old \xc2\xb2\n\nnote",
        b"old 99999999999999999999999\n\nnote",
        b"old 0\n" + b"AAAA\n" * 70 + b"\n",
        b"old 0\n\n\xff",
    ]
    bodies += [json.dumps({name: value for name in FIELDS}).encode() for value in ODD_VALUES]
    bodies += [
        json.dumps({"records": [{"kind": kind, "body": body}]}).encode()
        for kind in ("test.note", "²", "certificate.issued")
        for body in ({}, {"amount": 10**30}, {"n": [[[]]]})
    ]
    form = samples.SAMPLES["business-licence"]
    bodies += [
        json.dumps({"type": "business-licence", "form": form | odd}).encode()
        for odd in (dict.fromkeys(form, "²"), {"registered_capital": "²"}, {"registered_capital": "9" * 5000})
    ]
    return bodies


def fill(path: str, values: dict[str, str] | str) -> str:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return path.format(**{name: values if isinstance(values, str) else values[name] for name in names})


def query(params: dict[str, str]) -> str:
    return "?" + "&".join(f"{name}={value}" for name, value in params.items())


def probes(routes, known: dict[str, str], unknown: dict[str, str], base: dict[str, str]):
    """(method, path and query, body): odd path parameters; with a well-formed
    but unknown one (a quick 404), every query parameter odd at once, each odd
    among good ones (so each is reached), odd bodies; with a known one (some
    answers are a sealed PDF, ~100 ms), the odd query once and the odd bodies."""
    out = []
    for path, method in routes:
        bodies = odd_bodies() if method == "POST" else [None]
        if "{" in path:
            out += [(method, fill(path, odd) + query(base), b"{}") for odd in ODD_QUERY + LONG + ["..", "a%2Fb"]]
            out += [(method, fill(path, known) + query(dict.fromkeys(PARAMS, quote("²"))), body) for body in bodies]
        url = fill(path, unknown)
        if method == "GET":
            out += [(method, url + query(dict.fromkeys(PARAMS, value)), None) for value in ODD_QUERY]
            out += [(method, url + query({**base, name: value}), None) for name in PARAMS for value in SHARP_QUERY]
        else:
            out += [(method, url, body) for body in bodies]
    return out


def server_errors_and_odd_shapes(node: NodeProcess, token: str, to_send) -> list[tuple]:
    """Sent eight at a time; every 5xx, and every 4xx not in our bilingual shape."""
    sign_out_token, local = node.login("supervisor"), threading.local()

    def problem(probe: tuple[str, str, bytes | None]):
        method, url, body = probe
        http = local.__dict__.setdefault("http", requests.Session())
        auth = sign_out_token if url.startswith("/v1/desk/sign-out") else token  # signing out ends its token
        try:
            reply = http.request(method, node.url + url, data=body, headers=bearer(auth), timeout=60)
        except requests.ConnectionError as exc:  # a server error can cut the connection short
            return method, url[:100], (body or b"")[:60], type(exc).__name__
        shown = (method, url[:100], (body or b"")[:60], reply.status_code, reply.text[:200])
        if reply.status_code >= 500:
            return shown
        if reply.status_code >= 400 and not url.startswith("/v1/witness/"):  # C2SP tlog-witness answers in text
            shape = reply.json() if reply.headers["content-type"] == "application/json" else {}
            if not (shape.get("error") and shape.get("message_zh") and shape.get("message_en")):
                return shown
        return None

    with ThreadPoolExecutor(8) as pool:
        return [found for found in pool.map(problem, to_send) if found]


def test_odd_input_to_the_core_and_licence_routes_is_a_4xx_in_our_shape(market, licence):
    routes = [(path, method) for path, method in served_routes() if not path.startswith("/v1/charity")]
    documented = set(json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"])  # every route: test_openapi.py
    assert {path for path, _ in routes} <= documented <= {path for path, _ in served_routes()}
    issued = parse_certificate_id(licence)
    never = str(type(issued)(issued.type_code, issued.issuer_uscc, "999999", issued.version))
    base = {
        "start": "0",
        "end": "1",
        "index": "0",
        "size": "1",
        "from": "0",
        "to": "1",
        "limit": "10",
        "agency": MARKET,
        "id": licence,
        "seq": "0",
    }
    known, unknown = (
        {"agency": MARKET, "cert_id": licence, "tile": "0/000"},
        {"agency": "nobody", "cert_id": never, "tile": "0/000"},
    )
    sent = probes(routes, known, unknown, base)
    failures = server_errors_and_odd_shapes(market, market.login("supervisor"), sent)
    assert not failures, "\n".join(map(str, failures[:30]))
    assert market.get("/v1/status").status_code == 200


@pytest.fixture(scope="module")
def charity(city):
    """The charity's node with a fund, a project, a donation and a pending request."""
    node = NodeProcess(city.home(CHARITY_AGENCY), free_port()).start()
    supervisor, clerk = node.login("supervisor"), node.login("clerk")

    def write(path: str, token: str, **body) -> str:
        reply = requests.post(node.url + "/v1/charity/desk" + path, json=body, headers=bearer(token), timeout=30)
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    write("/funds", supervisor, fund_id="F-1", name_zh="助学基金", name_en="Education fund", target_fen=10**6)
    write("/projects", supervisor, project_id="P-1", fund_id="F-1", name_zh="图书", name_en="Books", budget_fen=10**5)
    receipt = write(
        "/donations", clerk, fund_id="F-1", amount_fen=5000, channel="bank", donor_name="张三丰", anonymous=False
    )
    write("/allocations", supervisor, fund_id="F-1", project_id="P-1", amount_fen=3000)
    request_id = write(
        "/requests",
        clerk,
        project_id="P-1",
        amount_fen=1000,
        beneficiary_name="李小龙",
        beneficiary_agency="civil-affairs",
        purpose="课本",
    )
    yield node, {"receipt": receipt, "request_id": request_id}
    node.stop()


def test_odd_input_to_the_charity_routes_is_a_4xx_in_our_shape(charity):
    node, known = charity
    routes = [(path, method) for path, method in served_routes() if path.startswith("/v1/charity")]
    base = {
        "limit": "10",
        "agency": CHARITY_AGENCY,
        "receipt": known["receipt"],
        "seq": "2",
        "charity": CHARITY_AGENCY,
        "fund": "F-1",
        "status": "pending",
    }
    sent = probes(routes, known, {"receipt": make_receipt(99_999), "request_id": "REQ-999999"}, base)
    failures = server_errors_and_odd_shapes(node, node.login("supervisor"), sent)
    assert not failures, "\n".join(map(str, failures[:30]))
    assert node.get("/v1/status").status_code == 200


# -- 8c. password hashing does not hold the node's lock --------------------------------------
@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """The market node served from this process, so a test can watch its lock."""
    city = new_city(tmp_path_factory, "lock")
    node = Node.open(city.home(MARKET), (TEST_PLUGIN,), argon2=FAST_ARGON2)
    with serving(NodeService(node, (TEST_PLUGIN,), interval=3600)) as url:
        yield node, url
    node.close()


class SpyHasher:
    """The node's Argon2 hasher, with a look at each verification before it runs."""

    def __init__(self, real, before_verify) -> None:
        self.real, self.before_verify = real, before_verify

    def verify(self, hashed: str, password: str) -> bool:
        self.before_verify()
        return self.real.verify(hashed, password)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def free_for_others(lock) -> bool:
    """Whether another thread can take the lock now (waiting out a short append)."""
    got = []

    def probe() -> None:
        got.append(lock.acquire(timeout=3))
        if got[0]:
            lock.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return got[0]


def login_as(url: str, name: str, password: str) -> requests.Response:
    return requests.post(url + "/v1/login", json={"user": name, "password": password}, timeout=60)


def test_argon2_runs_outside_the_node_lock_while_appends_go_on(in_process, monkeypatch):
    node, url = in_process
    free = []
    monkeypatch.setattr(
        node.users,
        "_hasher",
        SpyHasher(node.users._hasher, lambda: free.append(all(free) and free_for_others(node.lock))),
    )
    token = login_as(url, "supervisor", spec.PASSWORDS["supervisor"]).json()["token"]

    def flood(thread: int) -> list[int]:  # wrong passwords for a real user and for unknown names
        return [
            login_as(url, "clerk" if i % 2 else f"nobody-{thread}-{i}", "wrong-password").status_code for i in range(12)
        ]

    with ThreadPoolExecutor(3) as pool:
        floods = [pool.submit(flood, thread) for thread in range(3)]
        appended = [
            requests.post(
                url + "/v1/records",
                headers=bearer(token),
                timeout=60,
                json={"records": [{"kind": note(i)[0], "body": note(i)[1]}]},
            ).status_code
            for i in range(20)
        ]
        refused = [status for future in floods for status in future.result()]
    assert appended == [201] * 20 and refused == [401] * 36
    assert len(free) > 20 and all(free), "Argon2 ran while the node's lock was held"
    with node.lock:  # the lock-out still counted every wrong password: five, then the lock
        rows = node.audit.query(action="user.login", outcome="failed", limit=1000)
    assert sum(r["target"] == "clerk" for r in rows) == LockoutPolicy().max_failures
    assert "locked" in login_as(url, "clerk", spec.PASSWORDS["clerk"]).json()["message_en"]


def test_wrong_passwords_checked_at_once_get_no_more_checks_than_the_lock_out_allows(in_process, monkeypatch):
    node, url = in_process
    with node.lock:
        admin = node.users.authenticate("admin", spec.PASSWORDS["admin"])
        node.users.add_user(admin, "burst", "clerk", "burst-password-1")
    gate, arrived = threading.Event(), []
    monkeypatch.setattr(
        citychain.accounts.users, "_HASHING", threading.BoundedSemaphore(64)
    )  # more than this machine's cores
    monkeypatch.setattr(
        node.users, "_hasher", SpyHasher(node.users._hasher, lambda: arrived.append(1) or gate.wait(20))
    )
    attempts = 10
    with ThreadPoolExecutor(attempts) as pool:
        futures = [pool.submit(login_as, url, "burst", "wrong-password") for _ in range(attempts)]
        try:
            wait_for(lambda: len(arrived) + sum(f.done() for f in futures) == attempts, timeout=10)
        finally:
            gate.set()
        replies = [f.result().json()["message_en"] for f in futures]
    allowed = LockoutPolicy().max_failures
    assert len(arrived) == allowed  # the others were refused before any hashing
    wrong = "wrong user name or password"
    assert replies.count(wrong) == allowed and all("locked" in reply for reply in replies if reply != wrong)
