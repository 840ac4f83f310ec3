"""The lists a client or another operator needs from one node
(docs/protocol.md §6 *Reading* and §14): every log with all its keys in
`/v1/logs`, the city's trust policy (C2SP tlog-policy) and its logs in the
form a witness operator takes them (C2SP tlog-list).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from citychain.errors import RequestError
from citychain.log.policy import PolicyError, log_vkey
from citychain.node.home import origin
from citychain.node.policies import check_suite, exported_policy
from citychain.node.trust import Agency, TrustState

# Add-checkpoint requests a node may send one witness a day: a foreign
# witness at most once per `foreign_witnesses.MIN_GAP` (5 s); our own
# agencies' witnesses take one per sync round (5 s by default).
QPD = 17280
TEXT = "text/plain; charset=utf-8"
_SPACES = re.compile(r"\s+")


def key_list(agency: Agency | None, log_origin: str) -> list[dict]:
    """Every key the trust log gave the log's agency, rotated and revoked ones
    too, each as a signed-note verifier key of the log (type 0x01)."""
    if agency is None:
        return []
    return [
        {
            "kid": key.kid,
            "vkey": log_vkey(log_origin, key.public_key).text() if len(key.public_key) == 32 else None,
            "not_before": key.not_before,
            "not_after": key.not_after,
            "revoked_from": key.revoked_from,
            "state": "revoked" if key.revoked_from else "rotated" if key.not_after else "current",
        }
        for key in agency.keys
    ]


def tlog_list(trust: TrustState, city: str) -> str:
    """The city's logs as C2SP tlog-list `logs/v0`: one entry per agency with a
    live key, its newest one (the format holds one vkey per log); Ed25519 cities only."""
    check_suite(trust)
    lines = [
        f"# CityChain city {city}: its logs, for witness operators (C2SP tlog-list; docs/protocol.md section 14)",
        "logs/v0",
    ]
    for agency in trust.agencies.values():
        live = [k for k in agency.keys if k.revoked_from is None]
        if not live:
            continue
        contact = _SPACES.sub(" ", " ".join(filter(None, (agency.name_en, agency.url)))).strip() or agency.id
        lines += [
            "",
            f"vkey {log_vkey(origin(city, agency.id), live[-1].public_key).text()}",
            f"qpd {QPD}",
            f"contact {contact}",
        ]
    return "\n".join(lines) + "\n"


@contextmanager
def _none_for_other_suites() -> Iterator[None]:
    """A city on a suite C2SP has no key type for: 404 `BAD_POLICY`, in both languages."""
    try:
        yield
    except PolicyError as exc:
        raise RequestError(exc.message_zh, exc.message_en, 404, "BAD_POLICY") from None


def routes(service) -> list[Route]:
    from citychain.net.api import handler  # api imports this module to list the routes

    @handler
    def policy(request: Request) -> Response:
        node = service.node
        with _none_for_other_suites():
            body = exported_policy(node.home, node.config, node.trust)
        return Response(body, media_type=TEXT, headers={"Cache-Control": "no-cache"})

    @handler
    def logs_list(request: Request) -> Response:
        node = service.node
        with _none_for_other_suites():
            text = tlog_list(node.trust, node.config.city)
        return PlainTextResponse(text, headers={"Cache-Control": "no-cache"})

    return [Route("/v1/tlog-policy", policy), Route("/v1/tlog-list", logs_list)]
