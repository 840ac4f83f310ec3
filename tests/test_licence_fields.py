"""Licence types as data, and field-level checks with messages in both languages."""

from __future__ import annotations

import pytest

from certificates.fields import FieldErrors, validate
from certificates.types import TYPES, licence_type

GOOD_ID = "11010519491231002X"  # a valid GB 11643 number (published example)
GOOD_USCC = "91110000600037341L"


def test_the_five_types_of_the_design():
    assert {t.name_zh for t in TYPES} == {"营业执照", "食品经营许可证", "居住证", "结婚证", "残疾人证"}
    assert len({t.code for t in TYPES}) == 5
    assert licence_type("marriage-certificate").permission == "certificate:marriage-certificate"
    assert not licence_type("business-licence").field("scope").in_qr  # long fields only in the PDF
    with pytest.raises(KeyError, match="unknown licence type"):
        licence_type("fishing-licence")


def test_a_good_residence_permit_is_cleaned():
    clean = validate(
        licence_type("residence-permit"),
        {"holder_name": " 张三 ", "holder_id": GOOD_ID.lower(), "sex": "male", "address": "示范市西湖路1号"},
        "2026-03-01",
        "2027-02-28",
    )
    assert clean == {"holder_name": "张三", "holder_id": GOOD_ID, "sex": "male", "address": "示范市西湖路1号"}


def test_every_problem_is_named_against_its_field():
    with pytest.raises(FieldErrors) as caught:
        validate(
            licence_type("business-licence"),
            {
                "company_name": "示范科技有限公司",
                "uscc": GOOD_USCC[:-1] + "X",
                "company_type": "有限责任公司",
                "legal_rep": "",
                "registered_capital": "12.5",
                "established": "2026-02-30",
                "scope": "软件开发",
                "colour": "red",
            },
            "2026-03-01",
            "2026-02-01",
        )
    problems = caught.value.by_field()
    assert set(problems) == {
        "uscc",
        "legal_rep",
        "registered_capital",
        "established",
        "colour",
        "valid_until",
        "address",
    }
    assert problems["uscc"].message_zh.startswith("统一社会信用代码无效")
    assert "check character" in problems["uscc"].message_en
    assert problems["valid_until"].message_en == "the end of validity must come after its start"
    assert problems["legal_rep"].message_zh == "请填写法定代表人"


def test_resident_id_check_digit_and_birth_date():
    licence = licence_type("disability-certificate")
    for bad in (GOOD_ID[:-1] + "1", "110105194913310021", "1101051949123100"):
        with pytest.raises(FieldErrors) as caught:
            validate(
                licence,
                {"holder_name": "李四", "holder_id": bad, "category": "visual", "grade": "2"},
                "2026-03-01",
                "2036-02-28",
            )
        assert set(caught.value.by_field()) == {"holder_id"}


def test_each_type_has_exactly_one_demo_issuer():
    from democity import spec

    for licence in TYPES:
        issuers = [a.id for a in spec.AGENCIES if licence.permission in a.permissions]
        assert len(issuers) == 1, licence.id
