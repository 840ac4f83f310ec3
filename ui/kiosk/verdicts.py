"""How each verdict of docs/protocol.md §11 looks on the kiosk: a colour, a symbol, a
headline and what to do — always in both languages, whatever the UI language,
because the person at the screen may read only one of them.

Data only (no Qt), so the words are reviewed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from certificates.verify import SENTENCES, Verdict

GOOD, WARN, BAD = "good", "warn", "bad"


@dataclass(frozen=True)
class Look:
    tone: str  # good | warn | bad
    symbol: str  # ✓ ! ✗, drawn large beside the headline
    headline_zh: str
    headline_en: str
    advice_zh: str = ""  # what it means and what to do
    advice_en: str = ""


_LOOKS: dict[str, Look] = {
    "VALID": Look(GOOD, "✓", "证照有效", "Valid"),
    "TAMPERED": Look(
        BAD,
        "✗",
        "证照被改动过 · 请勿采信",
        "Altered — do not rely on it",
        "请向持证人所在的签发机构核实原件。",
        "Ask the issuing agency to confirm the original.",
    ),
    "MALFORMED": Look(
        BAD,
        "✗",
        "无法识别",
        "Cannot be read",
        "请确认这是可信城市电子证照，二维码完整清晰，然后再试一次。",
        "Check that this is a CityChain certificate and that the QR code is whole and sharp, then try again.",
    ),
    "UNKNOWN_ISSUER": Look(
        BAD,
        "✗",
        "签发机构不受信任",
        "Issuer not trusted",
        "本机不认识签发这张证照的机构，不能确认它是真的。",
        "This kiosk does not know the agency that signed it, so it cannot be confirmed.",
    ),
    "ISSUER_NOT_AUTHORISED": Look(
        BAD,
        "✗",
        "机构无权签发",
        "Issuer not authorised",
        "签名的机构无权签发这类证照，请勿采信。",
        "The signing agency may not issue this kind of certificate. Do not rely on it.",
    ),
    "KEY_REVOKED": Look(
        BAD,
        "✗",
        "签发密钥已被吊销",
        "Signing key revoked",
        "请持证人到签发机构换发新证。",
        "The holder should ask the issuing agency for a new certificate.",
    ),
    "REVOKED": Look(
        BAD,
        "✗",
        "证照已撤销",
        "Revoked",
        "这张证照已不再有效。如有疑问请联系签发机构。",
        "This certificate is no longer valid. Ask the issuing agency if in doubt.",
    ),
    "SUSPENDED": Look(
        BAD,
        "✗",
        "证照已暂停使用",
        "Suspended",
        "暂停期间证照不能使用。请联系签发机构。",
        "It cannot be used while suspended. Contact the issuing agency.",
    ),
    "SUPERSEDED": Look(
        BAD, "✗", "已被新证替换", "Replaced by a newer one", "请出示新版证照。", "Please show the newer certificate."
    ),
    "EXPIRED": Look(
        BAD,
        "✗",
        "证照已过期",
        "Expired",
        "请持证人到签发机构续期。",
        "The holder should renew it at the issuing agency.",
    ),
    "NOT_YET_VALID": Look(
        WARN, "!", "证照尚未生效", "Not valid yet", "请在生效日期之后再使用。", "It can be used from its start date."
    ),
    "NOT_IN_LEDGER": Look(
        BAD,
        "✗",
        "账本中没有这张证照",
        "Not in the ledger",
        "签名看似正确，但签发机构的账本里没有它。请勿采信，并联系签发机构。",
        "The signature looks right, but the agency's ledger does not hold it. Do not rely on it; contact the agency.",
    ),
    "LOG_FORKED": Look(
        WARN,
        "!",
        "签发机构账本出现分叉",
        "The issuer's ledger forked",
        "该机构发布了两个相互矛盾的账本版本，本机暂时无法确认任何证照。"
        "这不是持证人的过错：请联系签发机构，或稍后再试。",
        "The agency published two conflicting versions of its ledger, so nothing from it can be "
        "confirmed for now. This is not the holder's fault: contact the agency or try later.",
    ),
    "LOG_INVALID": Look(
        WARN,
        "!",
        "签发机构账本违规",
        "The issuer's ledger broke the rules",
        "该机构的账本违反了核验规则，已被标记，暂时无法确认其证照。请联系签发机构。",
        "The agency's ledger broke the checking rules and is flagged; its certificates cannot be "
        "confirmed for now. Contact the agency.",
    ),
    "STATUS_UNKNOWN": Look(
        WARN,
        "?",
        "暂时无法确认状态",
        "Status could not be checked",
        "证照本身的签名无误，但本机现在无法确认它是否已被撤销（账本节点连不上，或数据太旧）。"
        "如需确认，请稍后再试或到签发机构窗口核实。",
        "The certificate itself checks out, but this kiosk cannot confirm now that it was not "
        "revoked (the ledger node is out of reach or its copy is too old). Try again later or "
        "ask at the issuing agency's counter.",
    ),
    "STATUS_CONFLICT": Look(
        BAD,
        "✗",
        "账本节点说法矛盾 · 请勿采信",
        "Ledger nodes disagree — do not rely on it",
        "两个账本节点对这张证照的状态给出了相互矛盾的证明，其中一个过旧或不可信。请到签发机构窗口核实。",
        "Two ledger nodes gave conflicting proofs of this certificate's status; one of them is out of date "
        "or not to be trusted. Ask at the issuing agency's counter.",
    ),
}

_OFFLINE_VALID = Look(
    WARN,
    "✓",
    "签名有效 · 未查询撤销状态",
    "Signature valid — revocation not checked",
    "本机没有连接账本节点，只核验了签名和账本证明。",
    "This kiosk has no ledger node to ask; only the signature and the ledger proof were checked.",
)


def look(verdict: Verdict) -> Look:
    if verdict.code == "VALID" and not verdict.status_checked:
        return _OFFLINE_VALID
    return _LOOKS[verdict.code]


# The issuer's signature and authority held: what the code says is what the agency signed.
_AUTHENTIC = frozenset(
    {
        "VALID",
        "REVOKED",
        "SUSPENDED",
        "SUPERSEDED",
        "EXPIRED",
        "NOT_YET_VALID",
        "STATUS_UNKNOWN",
        "STATUS_CONFLICT",
        "LOG_FORKED",
        "LOG_INVALID",
        "NOT_IN_LEDGER",
    }
)


def shows_content(verdict: Verdict) -> bool:
    """Only signed content from a trusted, authorised issuer is shown: a forgery's text never is."""
    return verdict.code in _AUTHENTIC and bool(verdict.issuer_name_zh)


def sentence(verdict: Verdict) -> tuple[str, str]:
    """The verdict in a sentence, without machine timestamps (the screen shows those in city time),
    and how many nodes' proven answers agreed when more than one was asked."""
    zh, en = SENTENCES.table[verdict.code]
    n = len(verdict.confirmed_by)
    if verdict.code == "VALID" and verdict.status_checked and n:
        return f"{zh}（状态经 {n} 个节点确认）", f"{en} (Status confirmed by {n} nodes.)"
    return zh, en


def status_could_not_be_checked(verdict: Verdict) -> bool:
    """Say so in words whenever status was not confirmed by a node (docs/protocol.md §11)."""
    return verdict.code == "STATUS_UNKNOWN" or (verdict.code == "VALID" and not verdict.status_checked)


CODES = tuple(_LOOKS)
