"""Licence types as data: their fields, labels in both languages, validity
rules and the agency permission that may issue them (docs/protocol.md §11).

Each field says how it is checked (resident ID per GB 11643, unified social
credit code per GB 32100 — both with python-stdnum — dates, choices, text) and
whether its value travels in the QR code or, being long, only in the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

from citychain.documents.city_time import CITY_TIME  # noqa: F401  (validity dates are the city's calendar days)

TEXT, RESIDENT_ID, USCC, DATE, CHOICE, MONEY = "text", "resident_id", "uscc", "date", "choice", "money_fen"


@dataclass(frozen=True)
class Field:
    name: str
    label_zh: str
    label_en: str
    kind: str = TEXT
    required: bool = True
    max_length: int = 60
    in_qr: bool = True  # long fields (e.g. business scope) are disclosed only in the PDF
    personal: bool = False  # names and ID numbers: masked on screens, never in logs
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, zh, en)


@dataclass(frozen=True)
class LicenceType:
    id: str  # used in records and file names
    code: str  # type code in the certificate id (GB/T 36904 style)
    name_zh: str
    name_en: str
    fields: tuple[Field, ...]
    validity_years: int | None  # None: valid until revoked (e.g. a marriage certificate)

    @property
    def permission(self) -> str:
        """The trust-log permission an agency needs to issue this type."""
        return f"certificate:{self.id}"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _holder(label_zh: str = "姓名", label_en: str = "Name", prefix: str = "holder") -> tuple[Field, Field]:
    return (
        Field(f"{prefix}_name", label_zh, label_en, personal=True, max_length=40),
        Field(f"{prefix}_id", "公民身份号码", "Resident ID number", RESIDENT_ID, personal=True),
    )


_SEX = (("male", "男", "Male"), ("female", "女", "Female"))
_COMPANY_FIELDS = (
    Field("company_name", "名称", "Company name", max_length=80),
    Field("uscc", "统一社会信用代码", "Unified social credit code", USCC),
    Field("company_type", "类型", "Type", max_length=40),
    Field("legal_rep", "法定代表人", "Legal representative", personal=True, max_length=40),
    Field("address", "住所", "Address", max_length=120, in_qr=False),
)

TYPES: tuple[LicenceType, ...] = (
    LicenceType(
        "business-licence",
        "11100",
        "营业执照",
        "Business licence",
        _COMPANY_FIELDS
        + (
            Field("registered_capital", "注册资本", "Registered capital", MONEY),
            Field("established", "成立日期", "Date established", DATE),
            Field("scope", "经营范围", "Business scope", max_length=2000, in_qr=False),
        ),
        None,
    ),
    LicenceType(
        "food-business-licence",
        "11200",
        "食品经营许可证",
        "Food business licence",
        _COMPANY_FIELDS
        + (
            Field("premises", "经营场所", "Premises", max_length=120, in_qr=False),
            Field("main_business", "主体业态", "Main business form", max_length=40),
            Field("scope", "经营项目", "Business items", max_length=1000, in_qr=False),
        ),
        5,
    ),
    LicenceType(
        "residence-permit",
        "21100",
        "居住证",
        "Residence permit",
        _holder()
        + (
            Field("sex", "性别", "Sex", CHOICE, choices=_SEX),
            Field("address", "居住地址", "Residential address", max_length=120, personal=True, in_qr=False),
        ),
        1,
    ),
    LicenceType(
        "marriage-certificate",
        "31100",
        "结婚证",
        "Marriage certificate",
        _holder("持证人", "Holder")
        + _holder("配偶", "Spouse", "spouse")
        + (Field("registered_on", "登记日期", "Date of registration", DATE),),
        None,
    ),
    LicenceType(
        "disability-certificate",
        "41100",
        "残疾人证",
        "Disability certificate",
        _holder()
        + (
            Field(
                "category",
                "残疾类别",
                "Category",
                CHOICE,
                choices=(
                    ("visual", "视力残疾", "Visual"),
                    ("hearing", "听力残疾", "Hearing"),
                    ("speech", "言语残疾", "Speech"),
                    ("physical", "肢体残疾", "Physical"),
                    ("intellectual", "智力残疾", "Intellectual"),
                    ("mental", "精神残疾", "Mental"),
                    ("multiple", "多重残疾", "Multiple"),
                ),
            ),
            Field(
                "grade",
                "残疾等级",
                "Grade",
                CHOICE,
                choices=(
                    ("1", "一级", "Grade 1"),
                    ("2", "二级", "Grade 2"),
                    ("3", "三级", "Grade 3"),
                    ("4", "四级", "Grade 4"),
                ),
            ),
        ),
        10,
    ),
)

BY_ID = {t.id: t for t in TYPES}


def licence_type(type_id: str) -> LicenceType:
    try:
        return BY_ID[type_id]
    except KeyError:
        raise KeyError(
            f"未知的证照类型 {type_id} / unknown licence type {type_id!r}; known: {', '.join(BY_ID)}"
        ) from None
