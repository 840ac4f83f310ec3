"""Whom a node syncs with: every active agency's URL from its own trust log,
and the peers its operator added by hand (`peer add`, `node serve --peer`).

The trust log is the city's one directory, so an agency that moves tells every
node at once (`trust.url.set`), and a suspended or revoked agency drops out.
A home whose config says `[sync] trust_log_peers = false` uses only the peers
added by hand (tests whose nodes listen on ports of their own set it).
"""

from __future__ import annotations

from dataclasses import dataclass

from citychain.node.trust import TrustState

TRUST_LOG = "trust-log"
BY_HAND = "by-hand"


@dataclass(frozen=True)
class Peer:
    url: str
    sources: tuple[str, ...]  # TRUST_LOG and/or BY_HAND
    agency: str | None = None  # the agency whose URL it is in the trust log

    def to_json(self) -> dict:
        return {"sources": list(self.sources), "agency": self.agency}


def trust_log_urls(trust: TrustState, own_agency: str) -> dict[str, str]:
    """URL → agency, for every active agency but this node's own."""
    agencies = list(trust.agencies.values())  # a snapshot: a sync may adopt a newer state meanwhile
    own = next((a.url for a in agencies if a.id == own_agency), None)
    return {
        a.url: a.id for a in agencies if a.url and a.id != own_agency and a.url != own and a.status.status == "active"
    }


def uses_trust_log(config) -> bool:
    return bool(config.extra.get("sync", {}).get("trust_log_peers", True))


def combine(by_hand: list[str], from_trust: dict[str, str]) -> list[Peer]:
    """Every peer once, in URL order, with where it came from."""
    urls = sorted(set(by_hand) | set(from_trust))
    hand = set(by_hand)
    return [
        Peer(
            url,
            tuple(s for s, held in ((TRUST_LOG, url in from_trust), (BY_HAND, url in hand)) if held),
            from_trust.get(url),
        )
        for url in urls
    ]
