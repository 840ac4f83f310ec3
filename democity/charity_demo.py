"""Charity data for the demo city, written through the charity desk as people
would: the charity federation's education fund with three projects, a few
hundred donations (deterministic pseudo-random names, every channel, some
anonymous), allocations, disbursement requests to people civil affairs looks
after — requested by the clerk, approved by the supervisor (two people), some
still pending, one cancelled — one expenditure and one refund; then civil
affairs acknowledges some of the approved disbursements in its own log.
The projects' start and end records make one project's disclosure late, one
due and one on time, whatever day the demo is built (`_schedule`).

`populate` runs before the demo mesh (civil affairs first takes a direct copy
of the charity's log to acknowledge against), so the one mesh pass spreads
and co-signs everything; `print_receipts` runs after it, so each receipt's
proof carries co-signatures.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta
from stdnum.cn import ric

from charity.desk import CharityDesk, DonationInput, Person
from charity.disclosure import city_today
from charity.periods import Quarter
from citychain.accounts.users import Argon2Params
from citychain.files import write_atomic
from citychain.log.keys import KdfCost
from citychain.node.kinds import Plugin
from citychain.node.node import Node

from . import spec

CHARITY = "charity-federation"
BENEFICIARY_AGENCY = "civil-affairs"
FUND = "EDU-2026"
DONATIONS = 300
SEED = 2026  # the same city every time

_SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 高 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 萧 田 董 潘 袁 蔡 蒋 余 于 杜 叶 程 魏 苏 吕 丁 沈 欧阳 司马 诸葛 上官"
).split()
_GIVEN = "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 文 华 红 玉兰 志强 晓东 海燕 宇轩 梓涵 浩然 欣怡 子墨 思远 雨桐 嘉怡 俊杰".split()

PROJECTS = (
    (
        "P-SCHOOL",
        "山区学校助学金",
        "Bursaries for mountain schools",
        20_000_000,
        [
            {"name": "春季学期 / spring term", "due": "2026-03-01", "amount_fen": 8_000_000},
            {"name": "秋季学期 / autumn term", "due": "2026-09-01", "amount_fen": 12_000_000},
        ],
    ),
    (
        "P-MEDICAL",
        "困难家庭大病救助",
        "Serious-illness relief for families in hardship",
        15_000_000,
        [{"name": "第一批救助 / first round", "due": "2026-06-30", "amount_fen": 6_000_000}],
    ),
    (
        "P-ELDERLY",
        "社区助老餐",
        "Community meals for older people",
        8_000_000,
        [{"name": "全年供餐 / meals all year", "due": "2026-12-31", "amount_fen": 8_000_000}],
    ),
)
ALLOCATIONS = (("P-SCHOOL", 12_000_000), ("P-MEDICAL", 9_000_000), ("P-ELDERLY", 4_000_000))
# (project, yuan, purpose, what happens to it)
REQUESTS = (
    ("P-SCHOOL", 12_000, "春季学期学费及住宿费 / spring-term fees and board", "approved"),
    ("P-SCHOOL", 8_500, "校服与学习用品 / uniforms and school supplies", "approved"),
    ("P-MEDICAL", 30_000, "住院治疗费用 / hospital treatment", "approved"),
    ("P-MEDICAL", 18_000, "术后康复 / rehabilitation after surgery", "approved"),
    ("P-ELDERLY", 6_000, "三月份助老餐 / meals for March", "approved"),
    ("P-SCHOOL", 9_000, "秋季学期学费 / autumn-term fees", "pending"),
    ("P-MEDICAL", 25_000, "门诊慢病用药 / medicine for a chronic illness", "pending"),
    ("P-ELDERLY", 4_000, "重复提交 / submitted twice", "cancelled"),
    ("P-ELDERLY", 5_500, "四月份助老餐 / meals for April", "pending"),
)
ACKNOWLEDGED = 3  # of the approved requests, the first three are acknowledged by civil affairs
RECEIPT_SAMPLES = 3


@dataclass(frozen=True)
class CharityPlan:
    """What `populate` wrote, for printing receipts after the mesh."""

    receipts: tuple[str, ...]  # every donation, in order
    refunded: str
    anonymous: str
    largest: str
    requests: tuple[str, ...]


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _id_number(rng: random.Random) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"3301{rng.randint(1, 9):02d}{birth}{rng.randint(0, 999):03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def _amount(rng: random.Random) -> int:
    """Mostly small gifts, a few large ones (fen)."""
    roll = rng.random()
    if roll < 0.05:
        return rng.choice((10_000, 20_000, 50_000)) * 100
    if roll < 0.30:
        return rng.randint(10, 50) * 10_000
    return rng.choice((50, 100, 200, 300, 500, 800, 1000, 1200)) * 100 + rng.choice((0, 0, 0, 50, 88))


def _donations(rng: random.Random) -> list[DonationInput]:
    out = []
    for _ in range(DONATIONS):
        person = Person(_name(rng), _id_number(rng) if rng.random() < 0.4 else None)
        out.append(
            DonationInput(
                FUND, _amount(rng), rng.choice(("cash", "bank", "online")), person, anonymous=rng.random() < 0.12
            )
        )
    return out


def populate(
    city_path: Path, plugins: Sequence[Plugin], clock, argon2: Argon2Params | None, cost: KdfCost
) -> CharityPlan:
    rng = random.Random(SEED)
    with Node.open(city_path / CHARITY, plugins, clock=clock, argon2=argon2) as node:
        desk = CharityDesk(node, node.private(cost))
        clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        boss = node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
        desk.create_fund(boss, FUND, "2026 助学助困基金", "2026 Education and Relief Fund", 100_000_000)
        for project_id, name_zh, name_en, budget, milestones in PROJECTS:
            desk.create_project(boss, project_id, FUND, name_zh, name_en, budget, milestones)
        gifts = _donations(rng)
        receipts: list[str] = []
        for start in range(0, len(gifts), 100):  # one signed batch per hundred
            receipts += desk.record_donations(clerk, gifts[start : start + 100])
        for project_id, fen in ALLOCATIONS:
            desk.allocate(boss, FUND, project_id, fen)
        requests = []
        for project_id, yuan, purpose, _ in REQUESTS:
            requests.append(
                desk.request_disbursement(
                    clerk, project_id, yuan * 100, _name(rng), _id_number(rng), BENEFICIARY_AGENCY, purpose
                )
            )
        for rid, (*_, fate) in zip(requests, REQUESTS):
            if fate == "approved":
                desk.approve(boss, rid)
            elif fate == "cancelled":
                desk.cancel(boss, rid, "申请重复提交 / submitted twice")
        desk.record_expenditure(boss, "P-ELDERLY", 150_000, "助老餐食材采购 / ingredients for the meals")
        refunded = next(r for r, g in zip(reversed(receipts), reversed(gifts)) if not g.anonymous)
        refund_fen = next(g.amount_fen for r, g in zip(receipts, gifts) if r == refunded)
        desk.refund(
            boss, refunded, refund_fen, "捐赠人误转，申请退回 / donated by mistake; the donor asked for it back"
        )
        _schedule(desk, boss, city_today(node.clock.now()))
        anonymous = next(r for r, g in zip(receipts, gifts) if g.anonymous)
        largest = max(zip(receipts, gifts), key=lambda pair: (pair[1].amount_fen, pair[0]))[0]
        _acknowledge(
            city_path,
            node,
            plugins,
            clock,
            argon2,
            [r for r, (*_, fate) in zip(requests, REQUESTS) if fate == "approved"][:ACKNOWLEDGED],
        )
    return CharityPlan(tuple(receipts), refunded, anonymous, largest, tuple(requests))


def _schedule(desk: CharityDesk, boss, today: date) -> None:
    """Start and end records, dated around the day the demo is built, so its
    disclosure list always shows one project late (quarters past their due
    date), one due (ended last month, final report owed) and one on time
    (a year-long project that started this quarter)."""
    this_quarter = Quarter.containing(today)
    year = relativedelta(years=1, days=-1)
    school = this_quarter.previous().previous().first
    desk.start_project(boss, "P-SCHOOL", school.isoformat(), (school + year).isoformat())
    desk.start_project(boss, "P-ELDERLY", this_quarter.first.isoformat(), (this_quarter.first + year).isoformat())
    medical = today - relativedelta(months=5)
    desk.start_project(boss, "P-MEDICAL", medical.isoformat(), (today - relativedelta(months=1)).isoformat())
    desk.end_project(boss, "P-MEDICAL", (today - relativedelta(months=1)).isoformat())


def _acknowledge(city_path: Path, charity: Node, plugins, clock, argon2, request_ids: list[str]) -> None:
    """Civil affairs copies the charity's log as it stands (checked like any
    mirror) and acknowledges receipt of the first approved disbursements."""
    head = charity.store.head(CHARITY)
    leaves = charity.store.leaves(head.id, 0, head.size)
    with Node.open(city_path / BENEFICIARY_AGENCY, plugins, clock=clock, argon2=argon2) as civil:
        civil.import_log(CHARITY, head.origin, 0, leaves, head.checkpoint)
        clerk = civil.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        desk = CharityDesk(civil)
        for rid in request_ids:
            desk.acknowledge(clerk, CHARITY, rid)


def receipt_samples(plan: CharityPlan) -> list[str]:
    """The first donation (its money reached an acknowledged disbursement), the
    first anonymous one and the largest; never the refunded one (its receipt
    would overstate the gift, so none is printed)."""
    picks = [r for r in (plan.receipts[0], plan.anonymous, plan.largest) if r != plan.refunded]
    return list(dict.fromkeys(picks))[:RECEIPT_SAMPLES]


def print_receipts(city_path: Path, plan: CharityPlan, plugins: Sequence[Plugin], clock, argon2) -> list[Path]:
    """Receipt PDFs in `samples/`, once the receipt module is there."""
    try:
        from charity.receipt_pdf import receipt_pdf
    except ImportError:
        return []
    out = city_path / "samples"
    out.mkdir(exist_ok=True)
    written = []
    with Node.open(city_path / CHARITY, plugins, clock=clock, argon2=argon2) as node:
        private = node.private()
        for receipt in receipt_samples(plan):
            path = out / f"donation-receipt-{receipt}.pdf"
            write_atomic(path, receipt_pdf(node, receipt, private))
            written.append(path)
    return written
