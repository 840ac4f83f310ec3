"""Who is in the demo city and what each agency may write.

Permissions are the opaque strings the trust log carries; the domain packages
(certificates, charity) name the ones their record kinds require.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY = "demo"
ROOT = "city-root"
# Demo secrets are printed and stored in the demo homes on purpose: the demo is
# for trying the software, never for real records.
PASSPHRASE = "demo-passphrase-2026"
PASSWORDS = {
    "admin": "admin-demo-2026",
    "supervisor": "supervisor-demo-2026",
    "clerk": "clerk-demo-2026",
    "auditor": "auditor-demo-2026",
}
# What the counter's header shows for each demo user: a name, as a real account has.
DISPLAY_NAMES = {"admin": "王磊", "supervisor": "张伟", "clerk": "李静", "auditor": "陈敏"}


@dataclass(frozen=True)
class DemoAgency:
    id: str
    name_zh: str
    name_en: str
    uscc: str  # the agency's unified social credit code (GB 32100, valid check character)
    permissions: tuple[str, ...]


ROOT_AGENCY = DemoAgency(
    "city-root",
    "示范市大数据管理局（信任根）",
    "Demo City Data Bureau (trust root)",
    "11330100MB1234567E",
    ("trust:root",),
)
AGENCIES = (
    DemoAgency(
        "market-regulation",
        "示范市市场监督管理局",
        "Demo City Market Regulation Administration",
        "11330100MB0000001R",
        ("certificate:business-licence", "certificate:food-business-licence"),
    ),
    DemoAgency(
        "public-security",
        "示范市公安局",
        "Demo City Public Security Bureau",
        "11330100MB0000002W",
        ("certificate:residence-permit",),
    ),
    DemoAgency(
        "civil-affairs",
        "示范市民政局",
        "Demo City Civil Affairs Bureau",
        "11330100MB00000030",
        ("certificate:marriage-certificate", "charity:acknowledge"),
    ),
    DemoAgency(
        "disabled-federation",
        "示范市残疾人联合会",
        "Demo City Disabled Persons' Federation",
        "11330100MB00000043",
        ("certificate:disability-certificate",),
    ),
    DemoAgency(
        "charity-federation",
        "示范市慈善总会",
        "Demo City Charity Federation",
        "53330100MJ0000005A",
        ("charity:organisation",),
    ),
)
