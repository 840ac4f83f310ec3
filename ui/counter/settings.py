"""What this counter remembers between starts, in the data folder: which demo
agency it belongs to and the language last chosen. Nothing secret."""

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
        return cls(agency, language)

    def save(self, folder: Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(folder) / FILE_NAME, json.dumps(asdict(self), ensure_ascii=False, indent=2).encode())

    def with_(self, **changes) -> CounterSettings:
        return replace(self, **changes)
