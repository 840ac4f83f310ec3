"""Trust policies in the C2SP tlog-policy format, and signed-note verifier keys.

A policy names the logs a verifier accepts, the witnesses it knows and the
quorum of co-signatures a checkpoint needs (docs/protocol.md §14). A city
writes one beside its trust bundle (`trust export`); a verifier or a node may
be given one that also names witnesses that are not the city's agencies.

The file is octets: names are compared byte for byte (non-ASCII octets are
opaque, as the spec says), so text is decoded with `surrogateescape` and
never normalised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from citychain.errors import MessageError
from citychain.log.checkpoint import SignedCheckpoint, cosigners
from citychain.log.encoding import EncodingError, b64decode, b64encode
from citychain.log.keys import KeyProblem, public_key_from_bytes
from citychain.log.note import COSIGNATURE_V1, ED25519, ED25519_PUBLIC_KEY_SIZE, NoteError, check_key_name, key_id

NONE = "none"  # the predefined name: no co-signature needed
MAX_BYTES = 64 * 1024
MAX_ITEMS = 256  # logs, witnesses, groups each (the spec asks for at least 32)
_KEY_ID = re.compile(r"[0-9a-f]{8}", re.ASCII)
_THRESHOLD = re.compile(r"[1-9][0-9]{0,3}", re.ASCII)
_WHITESPACE = re.compile(r"[ \t]+")
_ALLOWED = re.compile(rb"[^\x00-\x08\x0b-\x1f\x7f]*")


class PolicyError(MessageError, ValueError):
    """A policy file that is not one; says which line and why."""

    code = "BAD_POLICY"


class _Bad(ValueError):
    """One line's fault, in both languages; `parse_policy` adds the line number."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _refuse(line_no: int, zh: str, en: str) -> PolicyError:
    where_zh, where_en = (f"第 {line_no} 行：", f"line {line_no}: ") if line_no else ("", "")
    return PolicyError(f"信任策略文件{where_zh}{zh}", f"trust policy {where_en}{en}")


# -- verifier keys (C2SP signed-note) -----------------------------------------
@dataclass(frozen=True)
class VKey:
    """`<name>+<key ID hex>+<base64(type ‖ public key)>`; Ed25519 types only."""

    name: str
    sig_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    def text(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64encode(bytes([self.sig_type]) + self.public_key)}"


def parse_vkey(text: str, sig_type: int) -> VKey:
    """A verifier key of the type the caller needs (0x01 log, 0x04 witness)."""
    parts = text.split("+", 2)  # base64 may hold "+"; a name and a key ID never do
    if len(parts) != 3 or not _KEY_ID.fullmatch(parts[1]):
        raise _Bad(
            "验证密钥须为 <名称>+<8 位十六进制>+<base64>", "a verifier key is <name>+<8 hex digits>+<base64 key>"
        )
    name, kid, material = parts
    try:
        check_key_name(name)
        raw = b64decode(material)
    except (NoteError, EncodingError, UnicodeError) as exc:
        raise _Bad(f"验证密钥无效：{exc}", f"bad verifier key: {exc}") from None
    if len(raw) != 1 + ED25519_PUBLIC_KEY_SIZE or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise _Bad(
            "只支持 Ed25519 验证密钥（类型 0x01 或 0x04）",
            "only Ed25519 verifier keys (type 0x01 or 0x04) are supported",
        )
    if raw[0] != sig_type:
        wanted = "0x01 (a log's note signature)" if sig_type == ED25519 else "0x04 (cosignature/v1)"
        raise _Bad(
            f"密钥类型 0x{raw[0]:02x} 不对，此处须为 {wanted[:4]}", f"key type 0x{raw[0]:02x} where {wanted} is needed"
        )
    vkey = VKey(name, raw[0], raw[1:])
    try:
        public_key_from_bytes(vkey.public_key)
        computed = vkey.key_id.hex()
    except (ValueError, UnicodeError, KeyProblem) as exc:
        raise _Bad(f"验证密钥无效：{exc}", f"bad verifier key: {exc}") from None
    if computed != kid:
        raise _Bad(f"密钥编号 {kid} 与密钥不符（应为 {computed}）", f"key ID {kid} does not match the key ({computed})")
    return vkey


# -- the policy ------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyLog:
    vkey: VKey
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str  # the policy's own name for it, used only inside the policy
    vkey: VKey  # its key name is the name on its co-signature lines
    url: str | None = None  # its tlog-witness submission prefix


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]
    spelled: str  # "all", "any" or the number, as written

    def line(self) -> str:
        return f"group {self.name} {self.spelled} {' '.join(self.members)}"


@dataclass(frozen=True)
class Policy:
    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[Group, ...]
    quorum: str

    def log_keys(self, origin: str) -> tuple[bytes, ...]:
        """The keys listed for the log of `origin` (its vkey name is its origin)."""
        return tuple(log.vkey.public_key for log in self.logs if log.vkey.name == origin)

    def names_log(self, origin: str) -> bool:
        """Whether the policy has a say on this log: it lists no logs, or lists this one."""
        return not self.logs or bool(self.log_keys(origin))

    def cosigned(self, signed: SignedCheckpoint, now: int) -> dict[str, int]:
        """Policy witness name → co-signature time, for the valid co-signatures;
        a log's own name never counts as a witness of it (docs/protocol.md §14)."""
        out = {}
        for witness in self.witnesses:
            if witness.vkey.name == signed.checkpoint.origin:
                continue
            key = public_key_from_bytes(witness.vkey.public_key)
            found = cosigners(signed, {witness.vkey.name: key}, now)
            if found:
                out[witness.name] = found[witness.vkey.name]
        return out

    def shortfall(self, signed: SignedCheckpoint, now: int) -> tuple[str, str] | None:
        """Why a checkpoint does not meet this policy (zh, en), or None when it does."""
        origin = signed.checkpoint.origin
        if self.logs:
            wanted = {key_id(origin, ED25519, key) for key in self.log_keys(origin)}
            if not any(sig.key_id in wanted for sig in signed.log_signatures):
                return (
                    f"信任策略没有列出签这个检查点的日志密钥（{origin}）",
                    f"the trust policy lists no key of log {origin} that signed this checkpoint",
                )
        cosigned = sorted(self.cosigned(signed, now))
        if self.satisfied(cosigned):
            return None
        named = ", ".join(cosigned) or "none"
        return (
            f"检查点的见证人联署（{len(cosigned)} 个：{named}）未达到信任策略要求的法定数",
            f"the checkpoint's witness co-signatures ({len(cosigned)}: {named}) do not meet the trust policy's quorum",
        )

    def satisfied(self, witnessed: Iterable[str]) -> bool:
        """Whether the witnesses named (policy names) make the quorum."""
        seen = set(witnessed)
        groups = {group.name: group for group in self.groups}
        memo: dict[str, bool] = {NONE: True}

        def holds(name: str) -> bool:
            if name not in memo:
                group = groups.get(name)
                memo[name] = (
                    sum(holds(m) for m in group.members) >= group.threshold if group is not None else name in seen
                )
            return memo[name]

        return holds(self.quorum)

    def text(self, comments: Iterable[str] = ()) -> str:
        lines = [f"# {c}" if c else "#" for c in comments]
        lines += [" ".join(filter(None, ("log", log.vkey.text(), log.url))) for log in self.logs]
        lines += [" ".join(filter(None, ("witness", w.name, w.vkey.text(), w.url))) for w in self.witnesses]
        lines += [group.line() for group in self.groups]
        lines.append(f"quorum {self.quorum}")
        return "\n".join(lines) + "\n"


def parse_policy(data: bytes) -> Policy:
    """A tlog-policy file, every rule of the spec checked; refuses with the line and the reason."""
    if len(data) > MAX_BYTES:
        raise _refuse(0, f"大于 {MAX_BYTES} 字节", f"is larger than {MAX_BYTES} bytes")
    if data and not data.endswith(b"\n"):
        raise _refuse(0, "最后一行没有以换行结束", "does not end its last line with a newline")
    builder = _Builder()
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not _ALLOWED.fullmatch(raw):
            raise _refuse(number, "含有不允许的控制字符", "holds a control character other than tab")
        words = [w for w in _WHITESPACE.split(raw.decode("utf-8", "surrogateescape")) if w]
        if not words or words[0].startswith("#"):
            continue
        try:
            builder.add(words)
        except _Bad as exc:
            raise _refuse(number, exc.zh, exc.en) from None
    if builder.quorum is None:
        raise _refuse(0, "缺少 quorum 行", "has no quorum line")
    return Policy(tuple(builder.logs), tuple(builder.witnesses), tuple(builder.groups), builder.quorum)


class _Builder:
    """The lines read so far, each checked against the ones before it."""

    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[Group] = []
        self.quorum: str | None = None
        self.names: dict[str, int] = {}  # defined name → how many members it has (1 for a witness)
        self.members_used: set[str] = set()
        self.log_keys: set[bytes] = set()
        self.witness_keys: set[bytes] = set()

    def add(self, words: list[str]) -> None:
        keyword, args = words[0], words[1:]
        handler = {"log": self._log, "witness": self._witness, "group": self._group, "quorum": self._quorum}
        if keyword not in handler:
            raise _Bad(f"未知的关键字 {keyword!r}", f"unknown keyword {keyword!r}")
        if self.quorum is not None and keyword == "quorum":
            raise _Bad("只能有一行 quorum", "a policy has exactly one quorum line")
        handler[keyword](args)

    def _log(self, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise _Bad("log 行须为：log <vkey> [<url>]", "a log line is: log <vkey> [<url>]")
        vkey = parse_vkey(args[0], ED25519)
        if vkey.public_key in self.log_keys:
            raise _Bad("同一日志密钥列了两次", "the same log key is listed twice")
        self._items(self.logs)
        self.log_keys.add(vkey.public_key)
        self.logs.append(PolicyLog(vkey, args[1] if len(args) == 2 else None))

    def _witness(self, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise _Bad(
                "witness 行须为：witness <名称> <vkey> [<url>]", "a witness line is: witness <name> <vkey> [<url>]"
            )
        name = self._new_name(args[0])
        vkey = parse_vkey(args[1], COSIGNATURE_V1)
        if vkey.public_key in self.witness_keys:
            raise _Bad("同一见证人密钥列了两次", "the same witness key is listed twice")
        self._items(self.witnesses)
        self.witness_keys.add(vkey.public_key)
        self.names[name] = 1
        self.witnesses.append(PolicyWitness(name, vkey, args[2] if len(args) == 3 else None))

    def _group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise _Bad(
                "group 行须为：group <名称> all|any|<k> <名称>...",
                "a group line is: group <name> all|any|<k> <name>...",
            )
        name, spelled, members = self._new_name(args[0]), args[1], tuple(args[2:])
        for member in members:
            if member == NONE or member not in self.names:
                raise _Bad(
                    f"组成员 {member!r} 不是前面定义的见证人或组",
                    f"group member {member!r} is not a witness or group defined above",
                )
            if member in self.members_used or members.count(member) > 1:
                raise _Bad(
                    f"{member!r} 已是组成员（每个名称至多一次）",
                    f"{member!r} is already a group member (each name at most once)",
                )
        if spelled in ("all", "any"):
            threshold = len(members) if spelled == "all" else 1
        elif _THRESHOLD.fullmatch(spelled) and int(spelled) <= len(members):
            threshold = int(spelled)
        else:
            raise _Bad(
                f"门限 {spelled!r} 须为 all、any 或 1 到 {len(members)} 的十进制数",
                f"threshold {spelled!r} is not all, any or a decimal k with 1 <= k <= {len(members)}",
            )
        self._items(self.groups)
        self.members_used.update(members)
        self.names[name] = len(members)
        self.groups.append(Group(name, threshold, members, spelled))

    def _quorum(self, args: list[str]) -> None:
        if len(args) != 1:
            raise _Bad("quorum 行须为：quorum <名称>", "a quorum line is: quorum <name>")
        if args[0] != NONE and args[0] not in self.names:
            raise _Bad(
                f"quorum {args[0]!r} 不是前面定义的见证人或组",
                f"quorum {args[0]!r} is not a witness or group defined above",
            )
        self.quorum = args[0]

    def _new_name(self, name: str) -> str:
        if name == NONE or name in self.names:
            raise _Bad(f"名称 {name!r} 是预定义的或已被定义", f"the name {name!r} is predefined or already defined")
        return name

    @staticmethod
    def _items(items: list) -> None:
        if len(items) >= MAX_ITEMS:
            raise _Bad(f"同类条目超过 {MAX_ITEMS} 个", f"more than {MAX_ITEMS} of one kind")


def log_vkey(origin: str, public_key: bytes) -> VKey:
    return VKey(origin, ED25519, public_key)


def witness_vkey(name: str, public_key: bytes) -> VKey:
    return VKey(name, COSIGNATURE_V1, public_key)


def threshold_group(name: str, members: Mapping[str, object] | Iterable[str], k: int) -> Group:
    """A group of k of the members, spelled as the spec's shorthands where they fit."""
    names = tuple(members)
    spelled = "all" if k == len(names) else "any" if k == 1 else str(k)
    return Group(name, k, names, spelled)
