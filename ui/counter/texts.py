"""Words for data the counter shows: statuses, record kinds, roles, and
dates and money for the current language (money states have their one
vocabulary in `charity.money_states`).

Labels that come with the data (licence types and fields, agency names) are
already bilingual pairs; these are the rest. The window's own words are in
Qt's translation files (`self.tr`).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QTimeZone

from certificates.types import BY_ID, CITY_TIME, MONEY
from citychain.clock import parse_time

from .. import i18n

STATUS = {
    "valid": ("有效", "Valid"),
    "suspended": ("已暂停", "Suspended"),
    "revoked": ("已撤销", "Revoked"),
    "superseded": ("已被替换", "Superseded"),
    "expired": ("已过期", "Expired"),
}
KINDS = {
    "certificate.issued": ("签发", "Issued"),
    "certificate.revoked": ("撤销", "Revoked"),
    "certificate.suspended": ("暂停", "Suspended"),
    "certificate.reinstated": ("恢复", "Reinstated"),
    "certificate.superseded": ("被替换", "Superseded"),
}
ROLES = {
    "clerk": ("窗口经办人", "Clerk"),
    "supervisor": ("主管", "Supervisor"),
    "auditor": ("审计员", "Auditor"),
    "admin": ("系统管理员", "Administrator"),
}
CHANNELS = {"cash": ("现金", "Cash"), "bank": ("银行转账", "Bank transfer"), "online": ("网上支付", "Online payment")}
REQUEST_STATUS = {
    "pending": ("待审批", "Pending"),
    "approved": ("已批准", "Approved"),
    "cancelled": ("已取消", "Cancelled"),
}
PROOF_STATUS = {
    "included": ("已证明", "Proven"),
    "awaiting_checkpoint": ("待检查点", "Awaiting checkpoint"),
    "log_invalid": ("账本异常", "Ledger flagged"),
    "not_held": ("本节点无此账本", "Not held here"),
    "forked": ("账本分叉", "Ledger forked"),
    "invalid": ("账本违规", "Ledger broke the rules"),
}


def shown_status(status: str, valid_until: str | None) -> str:
    """The ledger says valid; a licence past its last day is still shown as expired."""
    if status == "valid" and valid_until and valid_until < datetime.now(CITY_TIME).date().isoformat():
        return "expired"
    return status


pick = i18n.pick  # the one chooser of bilingual data (see ui.i18n)


def word(table: dict[str, tuple[str, str]], key: str) -> str:
    pair = table.get(key)
    return pick(*pair) if pair else key


def licence_name(type_id: str) -> str:
    return pick(*licence_names(type_id))


def licence_names(type_id: str) -> tuple[str, str]:
    """A licence type's name in Chinese and English, for sentences made in both."""
    licence = BY_ID.get(type_id)
    return (licence.name_zh, licence.name_en) if licence else (type_id, type_id)


def field_label(field) -> str:
    """A form label; amounts are typed in yuan (the record stores fen), so the label says so."""
    if field.kind == MONEY:
        return pick(field.label_zh + "（元）", field.label_en + " (yuan)")
    return pick(field.label_zh, field.label_en)


def choice_label(choice: tuple[str, str, str]) -> str:
    return pick(choice[1], choice[2])


def tr(text: str) -> str:
    """The UI's own words outside a widget, from the catalogue's "Counter" context."""
    return QCoreApplication.translate("Counter", text)


def date_text(iso: str | None) -> str:
    """2026-11-25 → 2026年11月25日 / 25 Nov 2026; None is "no end"."""
    if not iso:
        return tr("No end date")
    day = QDate.fromString(iso, "yyyy-MM-dd")
    if not day.isValid():
        return iso
    return i18n.locale().toString(day, "yyyy年M月d日" if i18n.chinese() else "d MMM yyyy")


def time_text(iso: str | None, short: bool = False) -> str:
    """A record's UTC time in the city's time zone, for the current language
    (`short`: without the year, for busy lists)."""
    if not iso:
        return ""
    try:
        moment: datetime = parse_time(iso).astimezone(CITY_TIME)
    except ValueError:
        return iso
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), QTimeZone(b"Asia/Shanghai"))
    if short:
        pattern = "M月d日 HH:mm" if i18n.chinese() else "d MMM, HH:mm"
    else:
        pattern = "yyyy年M月d日 HH:mm" if i18n.chinese() else "d MMM yyyy, HH:mm"
    return i18n.locale().toString(stamp, pattern)


def money(fen: int | None) -> str:
    return "—" if fen is None else i18n.money(fen)


def agency_name(info, agency_id: str) -> str:
    for agency, zh, en in getattr(info, "agencies", ()):
        if agency == agency_id:
            return pick(zh, en)
    return agency_id
