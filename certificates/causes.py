"""The real-life events that end a licence, named in its revocation record
(`cause`, optional; docs/protocol.md §11, *Registry rules*), and the words
every verdict, reprint and kiosk screen shows for them."""

from __future__ import annotations

CAUSES = {
    "deregistered": ("注销登记", "deregistered"),
    "divorced": ("离婚登记", "divorce registered"),
    "holder_died": ("持证人死亡", "the holder died"),
}


def cause_words(cause: object) -> tuple[str, str] | None:
    """(zh, en) for a known cause, else None (an absent or unknown one shows no words)."""
    return CAUSES.get(cause) if isinstance(cause, str) else None
