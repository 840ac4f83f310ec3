"""Test record kinds and helpers for the ledger-core tests (real homes, real SQLite)."""

from __future__ import annotations

from pathlib import Path

from cheap import FAST_ARGON2

from citychain.log.records import Record
from citychain.node.kinds import Context, KindSpec, Plugin, RecordRejected
from citychain.node.node import Node
from democity import spec

NOTE = "test.note"  # any clerk may append; needs the licence permission
RECALL = "test.recall"  # supervisors only


def _positive_amount(record: Record, ctx: Context) -> None:
    amount = record.body.get("amount", 1)
    if not isinstance(amount, int) or amount <= 0:
        raise RecordRejected("BAD_AMOUNT", "金额必须为正整数", "amount must be a positive integer", "amount")


TEST_PLUGIN = Plugin(
    name="test",
    kinds=(
        KindSpec(NOTE, "test.write", lambda r: "certificate:business-licence", check=_positive_amount),
        KindSpec(RECALL, "test.recall", lambda r: "certificate:business-licence"),
    ),
    actions=(
        ("test.write", frozenset({"clerk", "supervisor"}), "写测试记录", "write test records"),
        ("test.recall", frozenset({"supervisor"}), "撤回测试记录", "recall test records"),
    ),
)


def open_node(city, agency: str = "market-regulation", clock=None, write: bool = True) -> Node:
    return Node.open(Path(city.home(agency)), (TEST_PLUGIN,), clock=clock, write=write, argon2=FAST_ARGON2)


def sign_in(node: Node, role: str):
    return node.users.authenticate(role, spec.PASSWORDS[role])


def note(i: int, text: str = "营业执照 sample") -> tuple[str, dict]:
    return NOTE, {"n": i, "text": text, "amount": 100 + i}
