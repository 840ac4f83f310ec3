"""Appends batches to a home forever, printing `ack SIZE` after each returns.
Run as a separate process by test_crash.py, which SIGKILLs it at random."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cheap import FAST_ARGON2  # noqa: E402
from ledger_kit import TEST_PLUGIN, note  # noqa: E402

from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402

home, batch = Path(sys.argv[1]), int(sys.argv[2])
with Node.open(home, (TEST_PLUGIN,), argon2=FAST_ARGON2) as node:
    clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
    print("ready", node.own.tip.size, flush=True)
    while True:
        size = node.append(clerk, [note(i) for i in range(batch)]).size
        print("ack", size, flush=True)
