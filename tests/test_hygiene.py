"""What a fresh machine needs is declared: every third-party package the code
imports directly is pinned in requirements.in (set-up installs only those and
what they pull in, so an undeclared import works here by luck)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"citychain", "certificates", "charity", "ui", "democity", "resources", "main", "bench", "citylab"}


def imported_top_level_modules() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if {".venv", "build"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_directly_imported_package_is_declared():
    tests = {path.stem for path in (ROOT / "tests").glob("*.py")} | {p.stem for p in (ROOT / "bench").glob("*.py")}
    declared = {
        re.split(r"[=<>\s]", line.strip())[0].lower().replace("_", "-")
        for line in (ROOT / "requirements.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in imported_top_level_modules() - OURS - tests - set(sys.stdlib_module_names):
        names = distributions.get(module, [])
        if not any(name.lower().replace("_", "-") in declared for name in names):
            undeclared[module] = names
    assert undeclared == {}
