"""`main.py` commands with test-cost key sealing, several in one process.

Every sealed key's scrypt cost is stored in its file, so a home made here
opens cheaply in `main.py node serve` too — as the homes the other tests make
with `KdfCost.cheap()`. The commands, their flags and their files are
unchanged; only `KdfCost()`'s default is cheapened, before the CLI is loaded.

    python -m citylab.cheap_cli STEPS.json
    python -m citylab.cheap_cli -- COMMAND ARGS…           # one command, as main.py prints it
    STEPS.json: [{"argv": [...], "env": {...}}, ...]   # stops at the first failure
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import FunctionType


def cheapen() -> None:
    """Make `KdfCost()` (and every default already built from it) cheap."""
    from citychain.log import keys

    cheap = keys.KdfCost.cheap()
    keys.KdfCost.__init__.__defaults__ = (cheap.n, cheap.r, cheap.p)
    for module in list(sys.modules.values()):
        for value in list(vars(module).values()) if module and module.__name__.startswith("citychain") else ():
            for fn in [value, *vars(value).values()] if isinstance(value, type) else [value]:
                if isinstance(fn, FunctionType) and fn.__defaults__:
                    fn.__defaults__ = tuple(cheap if isinstance(d, keys.KdfCost) else d for d in fn.__defaults__)


def _cheap_main():
    """`main`, its keys sealed at test cost."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    cheapen()
    import main

    return main


def run(steps: list[dict]) -> int:
    main = _cheap_main()
    base = dict(os.environ)
    for number, step in enumerate(steps):
        os.environ.clear()
        os.environ.update(base | step.get("env", {}))
        print(f"--- step {number}: {' '.join(step['argv'][:2])}", flush=True)
        try:
            code = main.main(step["argv"])
        except SystemExit as exc:  # argparse and the CLI's refusals
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        if code:
            return code
    return 0


def run_one(argv: list[str]) -> int:
    """One command, its output exactly as `main.py`'s."""
    return _cheap_main().main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--"]:  # python -m citylab.cheap_cli -- node init …
        sys.exit(run_one(sys.argv[2:]))
    sys.exit(run(json.loads(Path(sys.argv[1]).read_text())))
