"""Appends batches to a home forever, printing `ack SIZE` after each returns.
Run as a separate process by test_crash.py, which SIGKILLs it at random.

`crash_appender.py HOME BATCH` is one such process. `crash_appender.py --fork`
is a fork server, so that twenty kills cost twenty forks rather than twenty
interpreter start-ups: it imports the node once, then for each line
`HOME<TAB>BATCH<TAB>FIFO` on its stdin forks a child that appends and writes its
lines to the named pipe FIFO, and says `pid N`, then `exit N` once the child is
gone (so its locks and files are closed)."""

import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cheap import FAST_ARGON2  # noqa: E402
from ledger_kit import TEST_PLUGIN, note  # noqa: E402

from citychain.node.node import Node  # noqa: E402
from democity import spec  # noqa: E402


def append_forever(home: Path, batch: int) -> None:
    with Node.open(home, (TEST_PLUGIN,), argon2=FAST_ARGON2) as node:
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        print("ready", node.own.tip.size, flush=True)
        while True:
            size = node.append(clerk, [note(i) for i in range(batch)]).size
            print("ack", size, flush=True)


def fork_server() -> None:
    for line in sys.stdin:
        home, batch, fifo = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:  # the child: nothing opened before the fork is shared but stdin and stderr
            try:
                out = os.open(fifo, os.O_WRONLY)
                os.dup2(out, 1)
                os.close(out)
                append_forever(Path(home), int(batch))
            except BaseException:  # noqa: BLE001 - say why, then never return into the server loop
                traceback.print_exc()
            finally:
                os._exit(1)
        print("pid", pid, flush=True)
        os.waitpid(pid, 0)
        print("exit", pid, flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--fork"]:
        fork_server()
    else:
        append_forever(Path(sys.argv[1]), int(sys.argv[2]))
