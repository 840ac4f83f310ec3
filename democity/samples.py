"""Sample certificates for the demo city: one of every type, and one each
revoked, suspended, superseded and expired, with their PDFs in `samples/`
named after the verdict the issuing node gives (`verify FILE --home …`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stdnum.cn import ric, uscc

from certificates import kinds
from certificates.desk import CertificateDesk
from citychain.accounts.users import Argon2Params
from citychain.files import write_atomic
from citychain.log.keys import KdfCost
from citychain.node.kinds import Plugin
from citychain.node.node import Node

from . import spec


def resident_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")  # it reads the first 17 of 18


def company_code(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


_COMPANY = {
    "company_name": "示范市西湖龙井茶叶贸易有限公司",
    "uscc": company_code("91330106MA2K0A1B2"),
    "company_type": "有限责任公司（自然人投资或控股）",
    "legal_rep": "王建国",
    "address": "示范市西湖区龙井路 18 号",
}
# The other people and premises of the samples that are no longer valid: the registry rules
# (one live licence per code and premises, per ID number, per married person) hold in the demo too.
OTHERS: dict[str, dict[str, str]] = {
    "marriage-certificate": {
        "holder_name": "王芳",
        "holder_id": resident_id("33010619880312234"),
        "spouse_name": "赵磊",
        "spouse_id": resident_id("33010219870520451"),
    },
    "residence-permit": {"holder_name": "刘洋", "holder_id": resident_id("33010619950611301")},
    "disability-certificate": {"holder_name": "周敏", "holder_id": resident_id("33010519860828402")},
    "food-business-licence": {"premises": "示范市西湖区龙井路 16 号（原址）"},
}
SAMPLES: dict[str, dict[str, str]] = {
    "business-licence": _COMPANY
    | {
        "registered_capital": "100000000",
        "established": "2019-05-12",
        "scope": "茶叶种植、加工及销售；预包装食品销售；茶具、工艺品零售；茶文化交流活动策划；"
        "货物及技术进出口（依法须经批准的项目，经相关部门批准后方可开展经营活动）。",
    },
    "food-business-licence": _COMPANY
    | {
        "premises": "示范市西湖区龙井路 18 号一层",
        "main_business": "食品销售经营者",
        "scope": "预包装食品（含冷藏冷冻食品）销售；散装食品销售；热食类食品制售。",
    },
    "residence-permit": {
        "holder_name": "欧阳明华",
        "holder_id": resident_id("43010219920315201"),
        "sex": "male",
        "address": "示范市拱墅区湖墅南路 88 号 3 幢 502 室",
    },
    "marriage-certificate": {
        "holder_name": "张伟",
        "holder_id": resident_id("33010619900101123"),
        "spouse_name": "李娜",
        "spouse_id": resident_id("33010219920704562"),
        "registered_on": "2026-02-14",
    },
    "disability-certificate": {
        "holder_name": "陈静",
        "holder_id": resident_id("33010519850923402"),
        "category": "physical",
        "grade": "3",
    },
}


def issue_samples(
    city_path: Path, plugins: Sequence[Plugin], clock, argon2: Argon2Params | None, cost: KdfCost
) -> list[tuple[str, str, str]]:
    """Issue and change the samples; returns `(agency, cert id, file stem)` for printing later."""
    plan = []
    for agency in spec.AGENCIES:
        types = [p.split(":", 1)[1] for p in agency.permissions if p.startswith("certificate:")]
        if not types:
            continue
        with Node.open(city_path / agency.id, plugins, clock=clock, argon2=argon2) as node:
            node.private(cost)
            desk = CertificateDesk(node)
            clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
            boss = node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
            for type_id in types:
                issued = desk.issue(clerk, type_id, SAMPLES[type_id])
                plan.append((agency.id, issued.cert_id, f"{type_id}-VALID"))
                if type_id == "marriage-certificate":
                    revoked = desk.issue(clerk, type_id, SAMPLES[type_id] | OTHERS[type_id])
                    desk.change(boss, kinds.REVOKED, revoked.cert_id, "登记信息有误 / registration error")
                    plan.append((agency.id, revoked.cert_id, f"{type_id}-REVOKED"))
                if type_id == "residence-permit":
                    held = desk.issue(clerk, type_id, SAMPLES[type_id] | OTHERS[type_id])
                    desk.change(boss, kinds.SUSPENDED, held.cert_id, "核查居住地址 / address under review")
                    plan.append((agency.id, held.cert_id, f"{type_id}-SUSPENDED"))
                if type_id == "disability-certificate":
                    old = desk.issue(clerk, type_id, SAMPLES[type_id] | OTHERS[type_id] | {"grade": "4"})
                    desk.supersede(boss, old.cert_id, SAMPLES[type_id] | OTHERS[type_id], "等级复评 / grade reassessed")
                    plan.append((agency.id, old.cert_id, f"{type_id}-SUPERSEDED"))
                if type_id == "food-business-licence":
                    expired = desk.issue(clerk, type_id, SAMPLES[type_id] | OTHERS[type_id], "2020-01-01", "2024-12-31")
                    plan.append((agency.id, expired.cert_id, f"{type_id}-EXPIRED"))
    return plan


def print_samples(city_path: Path, plan: list, plugins: Sequence[Plugin], clock, argon2) -> None:
    """After the mesh has co-signed the logs, so each proof carries co-signatures."""
    out = city_path / "samples"
    out.mkdir(exist_ok=True)
    for agency in {a for a, _, _ in plan}:
        with Node.open(city_path / agency, plugins, clock=clock, argon2=argon2) as node:
            desk = CertificateDesk(node)
            for _, cert_id, stem in (p for p in plan if p[0] == agency):
                write_atomic(out / f"{stem}.pdf", desk.pdf(cert_id))
                (out / f"{stem}.qr.txt").write_text(desk.qr_text(cert_id) + "\n", encoding="ascii")
