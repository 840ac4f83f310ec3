"""What this counter remembers between starts, in the data folder: which demo
agency it belongs to, the language last chosen and the printer (a CUPS
queue) documents go to. Nothing secret."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from citychain.files import write_atomic

FILE_NAME = "counter.json"


@dataclass(frozen=True)
class CounterSettings:
    agency: str | None = None
    language: str = "zh_CN"
    printer: str | None = None

    @classmethod
    def load(cls, folder: Path) -> CounterSettings:
        path = Path(folder) / FILE_NAME
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        agency = data.get("agency") if isinstance(data.get("agency"), str) else None
        language = data.get("language") if data.get("language") in ("zh_CN", "en") else "zh_CN"
        printer = data.get("printer") if isinstance(data.get("printer"), str) and data.get("printer") else None
        return cls(agency, language, printer)

    def save(self, folder: Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(folder) / FILE_NAME, json.dumps(asdict(self), ensure_ascii=False, indent=2).encode())

    def with_(self, **changes) -> CounterSettings:
        return replace(self, **changes)
