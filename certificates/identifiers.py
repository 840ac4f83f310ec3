"""Certificate identifiers in the style of GB/T 36904 (电子证照标识):

    1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>

The check character is ISO 7064 MOD 37,36 over everything before it with the
dots removed (python-stdnum computes it), so any single mistyped character,
and any swap of two neighbours, is caught before a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.iso7064 import mod_37_36

from citychain.errors import BilingualError

PREFIX = "1.2.156.3005.2"
_TYPE_RE = re.compile(r"[0-9A-Z]{2,20}\Z")
_SERIAL_RE = re.compile(r"[0-9]{1,20}\Z")
_VERSION_RE = re.compile(r"[0-9]{3}\Z")


_PREFIX_WRONG = ("证照标识应以 1.2.156.3005.2 开头", "a certificate id starts with 1.2.156.3005.2")
_PARTS_WRONG = ("证照标识的段数不对", "a certificate id has type, issuer, serial, version and check parts")


class InvalidCertificateId(BilingualError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("BAD_ID", message_zh, message_en)


def _check_type_code(part: str) -> None:
    if not _TYPE_RE.match(part):
        raise InvalidCertificateId("证照类型代码格式错误", f"type code {part!r} must be 2–20 digits or capitals")


def _check_issuer(part: str) -> None:
    if not uscc.is_valid(part):
        raise InvalidCertificateId("发证机构统一社会信用代码无效", f"issuer USCC {part!r} is not valid (GB 32100)")


def _check_serial(part: str) -> None:
    if not _SERIAL_RE.match(part):
        raise InvalidCertificateId("流水号必须为数字", f"serial {part!r} must be 1–20 digits")


def _check_version(part: str) -> None:
    if not _VERSION_RE.match(part):
        raise InvalidCertificateId("版本号必须为三位数字", f"version {part!r} must be three digits")


_PART_CHECKS = (_check_type_code, _check_issuer, _check_serial, _check_version)  # the parts before the check


@dataclass(frozen=True)
class CertificateId:
    type_code: str
    issuer_uscc: str
    serial: str
    version: str = "001"

    def __post_init__(self) -> None:
        for check, part in zip(_PART_CHECKS, (self.type_code, self.issuer_uscc, self.serial, self.version)):
            check(part)

    @property
    def body(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_uscc}.{self.serial}.{self.version}"

    @property
    def check(self) -> str:
        return mod_37_36.calc_check_digit(self.body.replace(".", ""))

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"

    def next_version(self) -> CertificateId:
        """The same certificate, reissued (renewal or correction)."""
        return CertificateId(self.type_code, self.issuer_uscc, self.serial, f"{int(self.version) + 1:03d}")


def parse_certificate_id(text: str) -> CertificateId:
    """Read an id someone typed or scanned; says which part is wrong."""
    text = text.strip().upper()
    if not text.startswith(PREFIX + "."):
        raise InvalidCertificateId(*_PREFIX_WRONG)
    parts = text[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidCertificateId(*_PARTS_WRONG)
    type_code, issuer, serial, version, check = parts
    parsed = CertificateId(type_code, issuer, serial, version)
    if check != parsed.check:
        raise InvalidCertificateId(
            "校验位不符，可能输错了一个字符", "the check character does not match; a character may be mistyped"
        )
    return parsed


def check_typing(text: str) -> None:
    """Check an id while it is typed, with `parse_certificate_id`'s words:
    each part once its dot is typed, the check character as soon as it is,
    so a wrong key is named at once and a beginning is never faulted."""
    text = text.strip().upper()
    head = PREFIX + "."
    if not text.startswith(head):
        if not head.startswith(text):
            raise InvalidCertificateId(*_PREFIX_WRONG)
        return
    *done, last = text[len(head) :].split(".")
    if len(done) > len(_PART_CHECKS):
        raise InvalidCertificateId(*_PARTS_WRONG)
    for check, part in zip(_PART_CHECKS, done):
        check(part)
    if len(done) == len(_PART_CHECKS) and last:
        parse_certificate_id(text)
