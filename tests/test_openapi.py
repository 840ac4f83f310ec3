"""docs/openapi.json against the app a node runs (the core and every plug-in
`main.py` loads): the same routes and methods in both directions, each
refusal in the one bilingual shape, a bearer token declared exactly where the
route asks for one, and the document served as it is kept."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import main
from citychain.net.api import make_app
from citychain.net.desk_api import refusal

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
METHODS = ("get", "post", "put", "patch", "delete")
TEXT_ROUTES = ("/v1/witness/add-checkpoint",)  # C2SP tlog-witness answers in text, by its spec
HEALTH = "/v1/health"  # its 503 is no refusal but the answer: not ready, and why (schema Health)


class _RoutesOnly:
    """Just enough of a `NodeService` for make_app: the routes, no node."""

    node = readers = syncer = witness = None
    plugins = main.plugins()


APP = make_app(_RoutesOnly())


def served() -> set[tuple[str, str]]:
    return {(method, route.path) for route in APP.routes for method in route.methods - {"HEAD"}}


def documented() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS}


def operations():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def call(method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request to the app in this process, no token; a crash (the stub has no node) is a 500."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"node"), (b"content-length", str(len(body)).encode())],
        "server": ("node", 80),
        "client": ("127.0.0.1", 1),
    }
    sent, answer = [{"type": "http.request", "body": body, "more_body": False}], {"status": 500, "body": b""}

    async def receive() -> dict:
        return sent.pop() if sent else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    try:
        asyncio.run(APP(scope, receive, send))
    except Exception:  # noqa: BLE001 — a public route reaching for the node the stub lacks
        return 500, b""
    return answer["status"], answer["body"]


def follow(ref: str) -> dict:
    """A `$ref` within this document."""
    node = DOCUMENT
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_route_the_app_serves_is_documented_and_every_documented_route_is_served():
    assert len(served()) > 40  # the core's and both plug-ins'
    assert not served() - documented(), f"served but not in docs/openapi.json: {sorted(served() - documented())}"
    assert not documented() - served(), f"documented but not served: {sorted(documented() - served())}"


def test_path_parameters_are_declared_as_the_route_names_them():
    for method, path, operation in operations():
        named = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert named == declared, (method, path)
        assert operation.get("summary") and operation.get("responses"), (method, path)


def test_every_refusal_is_documented_in_the_one_bilingual_shape():
    shape = follow("#/components/schemas/Error")
    keys = set(json.loads(refusal(422, "INVALID_FIELDS", "请更正", "correct it", {"x": ["错", "wrong"]}).body))
    assert (
        keys
        == set(shape["properties"])
        == set(shape["required"])
        == {"error", "message", "message_zh", "message_en", "fields"}
    )
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400 or path in TEXT_ROUTES or path == HEALTH:
                continue
            response = follow(response["$ref"]) if "$ref" in response else response
            schema = response["content"]["application/json"]["schema"]
            assert follow(schema["$ref"])["properties"].keys() == shape["properties"].keys(), (method, path, status)


@pytest.mark.parametrize(("method", "path"), sorted(documented()))
def test_a_bearer_token_is_declared_exactly_where_the_route_asks_for_one(method, path):
    """Without a token a signed-in route answers 401 before anything else."""
    operation = DOCUMENT["paths"][path][method.lower()]
    filled = "/".join("x" if part.startswith("{") else part for part in path.split("/"))
    status, body = call(method, filled)
    asks = status == 401
    assert ("security" in operation) == asks, (method, path, status, body[:200])
    if asks:
        assert "401" in operation["responses"] and json.loads(body)["message_zh"]


def test_the_node_serves_this_document_as_kept():
    status, body = call("GET", "/openapi.json")
    assert status == 200 and json.loads(body) == DOCUMENT
