"""The kiosk's own settings: `kiosk.toml` in the node home it uses, else in
the data folder. The kiosk's own city's trust root is never here — it comes
from the node home or the trust bundle the operator named — but the
administrator PIN is, and so are the trust bundles of other cities whose
documents the kiosk also verifies (offline, each under its own suite).

    pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"   # python -m ui.kiosk.config
    idle_timeout_s = 60
    media_folders = ["/media", "/run/media", "/mnt"]
    documents_folder = "/srv/kiosk-drop"   # optional extra folder for files
    max_file_mb = 10
    scanner_gap_ms = 60        # keys closer than this are a scanner, not a person
    scanner_min_chars = 8
    language = "zh_CN"
    high_contrast = false
    max_status_age_s = 3600
    policy = "trust-bundle.tlog-policy"   # optional: a C2SP tlog-policy (trust export writes one);
                                          # relative to this file; its quorum wins over the bundle's
    other_cities = ["sm-city/trust-bundle.json"]   # optional: other cities' trust bundles (either
                                          # suite), relative to this file; verified offline

Without a file the demo PIN `246810` applies (README says so). The PIN is
hashed like every password (citychain.accounts.pins); an older `scrypt$`
hash still works and is rewritten as Argon2 in the file the first time the
PIN is used.
"""

from __future__ import annotations

import getpass
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from citychain.accounts import pins
from citychain.errors import BilingualError
from citychain.files import write_atomic

FILE = "kiosk.toml"
DEMO_PIN = "246810"
# pins.hash_pin(DEMO_PIN), once: a fixed hash, so `demo_pin` can tell it.
_DEMO_HASH = "$argon2id$v=19$m=19456,t=2,p=1$wU7MvaG2ktwxaRKjlKIi9Q$ShP5QMfJ4zzhx7Nl6QFn8NgJelnn7MJB1yU8pOkLmwA"


class ConfigError(BilingualError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("KIOSK_CONFIG", message_zh, message_en)


def hash_pin(pin: str) -> str:
    return pins.hash_pin(pin)


def pin_matches(pin: str, stored: str) -> bool:
    return pins.check_pin(pin, stored)[0]


@dataclass(frozen=True)
class KioskConfig:
    pin_hash: str = _DEMO_HASH
    idle_timeout_s: int = 60
    media_folders: tuple[str, ...] = ("/media", "/run/media", "/mnt")
    documents_folder: str | None = None
    max_file_mb: int = 10
    scanner_gap_ms: int = 60
    scanner_min_chars: int = 8
    language: str = "zh_CN"
    high_contrast: bool = False
    max_status_age_s: int = 3600
    policy: str | None = None  # a C2SP tlog-policy file, relative to this file (docs/protocol.md §14)
    other_cities: tuple[str, ...] = ()  # other cities' trust bundles, relative to this file
    source: Path | None = field(default=None, compare=False)  # the file read, where an upgraded PIN hash goes

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def file_roots(self) -> tuple[Path, ...]:
        roots = [Path(p) for p in self.media_folders]
        if self.documents_folder:
            roots.append(Path(self.documents_folder))
        return tuple(roots)

    @property
    def _base(self) -> Path:
        return self.source.parent if self.source is not None else Path.cwd()

    @property
    def policy_path(self) -> Path | None:
        """The trust policy named, relative to the kiosk.toml it is named in."""
        return self._base / self.policy if self.policy else None

    @property
    def other_city_paths(self) -> tuple[Path, ...]:
        return tuple(self._base / p for p in self.other_cities)

    @property
    def demo_pin(self) -> bool:
        return self.pin_hash == _DEMO_HASH


_TYPES = {f.name: f.type for f in fields(KioskConfig) if f.name != "source"}


def _checked(name: str, value: object) -> object:
    kind = _TYPES[name]
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ConfigError(f"{FILE}：{name} 须为正整数", f"{FILE}: {name} must be a positive integer")
    if kind == "bool" and not isinstance(value, bool):
        raise ConfigError(f"{FILE}：{name} 须为 true 或 false", f"{FILE}: {name} must be true or false")
    if kind in ("str", "str | None") and not isinstance(value, str):
        raise ConfigError(f"{FILE}：{name} 须为文本", f"{FILE}: {name} must be text")
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            zh, en = ("文件夹", "folders") if name == "media_folders" else ("路径", "paths")
            raise ConfigError(f"{FILE}：{name} 须为{zh}列表", f"{FILE}: {name} must be a list of {en}")
        return tuple(value)
    if name == "language" and value not in ("zh_CN", "en"):
        raise ConfigError(f"{FILE}：language 须为 zh_CN 或 en", f"{FILE}: language must be zh_CN or en")
    return value


def load(path: Path) -> KioskConfig:
    """The settings in `path`, defaults for what it leaves out; none if it is absent."""
    if not path.exists():
        return KioskConfig()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} 格式错误：{exc}", f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - set(_TYPES))
    if unknown:
        raise ConfigError(
            f"{path} 中有未知设置：{', '.join(unknown)}", f"{path} has unknown settings: {', '.join(unknown)}"
        )
    return replace(KioskConfig(source=path), **{name: _checked(name, value) for name, value in doc.items()})


def check_pin(pin: str, settings: KioskConfig) -> KioskConfig | None:
    """The settings to go on with if `pin` is the administrator's, else None. A
    hash in an older scheme is replaced by an Argon2 one, in the file too."""
    matches, upgraded = pins.check_pin(pin, settings.pin_hash)
    if not matches:
        return None
    if upgraded is None or settings.source is None:
        return settings
    try:
        text = settings.source.read_text(encoding="utf-8")
        if text.count(settings.pin_hash) == 1:
            mode = settings.source.stat().st_mode & 0o777
            write_atomic(settings.source, text.replace(settings.pin_hash, upgraded).encode("utf-8"), mode)
    except OSError:
        pass  # a read-only file keeps the old hash, which still works
    return replace(settings, pin_hash=upgraded)


def config_path(home: Path | None, data_folder: Path) -> Path:
    """Beside the node home the kiosk uses, else in the data folder."""
    if home is not None and (Path(home) / FILE).exists():
        return Path(home) / FILE
    return data_folder / FILE


def main() -> None:
    """Print a `pin_hash` line for kiosk.toml (the PIN is asked, never echoed)."""
    pin = getpass.getpass("新管理员 PIN / new administrator PIN: ")
    if not pin.isdigit() or len(pin) < 6:
        raise SystemExit("PIN 须为至少 6 位数字 / the PIN must be at least 6 digits")
    if getpass.getpass("再输入一次 / again: ") != pin:
        raise SystemExit("两次输入不一致 / the two entries differ")
    print(f'pin_hash = "{hash_pin(pin)}"')


if __name__ == "__main__":
    main()
