"""SIGKILL a real appending process at random moments: nothing acknowledged is
lost, no partial batch is visible, and `log check` passes every time."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from citychain.check import check_home

from ledger_kit import TEST_PLUGIN, open_node

BATCH = 7
KILLS = 20


def run_and_kill(home: Path, delay: float) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_appender.py")), str(home), str(BATCH)],
        stdout=subprocess.PIPE, text=True,
    )
    acks: list[int] = []

    def read() -> None:
        for line in proc.stdout:
            words = line.split()
            if len(words) == 2 and words[0] == "ack" and words[1].isdigit():  # a kill may cut a line short
                acks.append(int(words[1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(5)
    return acks


def test_sigkill_while_appending_loses_nothing_acknowledged(demo_city):
    home = demo_city.home("market-regulation")
    rng = random.Random(20261125)
    acknowledged = 0
    for _ in range(KILLS):
        acks = run_and_kill(home, rng.uniform(0.3, 0.8))
        acknowledged = max([acknowledged, *acks])
        with open_node(demo_city, write=True) as node:  # opening replays a signed, unstored batch
            assert node.own.refusal is None
            size = node.store.head("market-regulation").size
        assert size >= acknowledged, f"acknowledged {acknowledged} but only {size} survived"
        assert size % BATCH == 0, f"a partial batch is visible: size {size}"
        report = check_home(home, (TEST_PLUGIN,))
        assert report.ok, report.lines()
    assert acknowledged > 0
