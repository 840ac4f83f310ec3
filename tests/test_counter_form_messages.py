"""The issue form's messages: the red banner counts what is left to correct
as the clerk fixes it (not only at the next sign attempt), and a well-written
date that names no day of the calendar says which part is impossible. The
page runs on a counter with no node behind it: nothing here reaches one."""

from __future__ import annotations

import pytest
from counter_support import style_app
from PySide6.QtCore import Qt

from certificates.fields import FieldErrors, validate
from certificates.types import licence_type
from democity.samples import SAMPLES
from ui import i18n
from ui.backend import NodeInfo

INFO = NodeInfo(
    "demo", "market-regulation", "示范市市场监督管理局", "Market Regulation", ("business-licence",), False, False, "/x"
)
BUSINESS = SAMPLES["business-licence"]


@pytest.fixture
def page(qtbot, qapp):
    from ui.counter.issue_page import IssuePage
    from ui.counter.widgets import Counter

    style_app(qapp)
    page = IssuePage(Counter(None, INFO))
    page.asked = []
    page.confirm = lambda summary: page.asked.append(summary) and False  # asked, never signed
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    yield page
    i18n.set_language("zh_CN")


def retype(qtbot, page, name: str, text: str) -> None:
    """What a clerk does: select the field's text and type over it."""
    editor = page.form.editor(name)
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, text)


def established_problem(value: str) -> tuple[str, str]:
    form = dict(BUSINESS, established=value)
    with pytest.raises(FieldErrors) as caught:
        validate(licence_type("business-licence"), form, "2026-03-01", None)
    problem = caught.value.by_field()["established"]
    return problem.message_zh, problem.message_en


def test_the_banner_counts_down_as_the_clerk_fixes_the_fields_it_named(qtbot, page):
    page.form.set_values(dict(BUSINESS, uscc=BUSINESS["uscc"][:-1] + "X", established="2020-13-01"))
    page.sign_button.click()
    assert page.asked == [] and page.banner.text().startswith("还有 2 处需要更正")
    assert "月份" in page.form.error_text("established")

    retype(qtbot, page, "uscc", BUSINESS["uscc"])
    assert page.banner.text().startswith("还有 1 处需要更正")  # at once, no second sign attempt
    assert page.form.error_text("uscc") == ""

    i18n.set_language("en")
    qtbot.waitUntil(lambda: page.banner.text().startswith("1 field(s) need correcting"), timeout=2000)
    assert "month" in page.form.error_text("established")

    retype(qtbot, page, "established", "2020-12-0")  # half typed: still wrong, still counted
    assert page.banner.text().startswith("1 field(s)") and page.banner.property("tone") == "error"
    qtbot.keyClicks(page.form.editor("established"), "1")
    assert page.banner.property("tone") == "ok" and "corrected" in page.banner.text()
    i18n.set_language("zh_CN")
    qtbot.waitUntil(lambda: "都已更正" in page.banner.text(), timeout=2000)

    retype(qtbot, page, "uscc", "123")  # broken again after all: counted again
    assert page.banner.text().startswith("还有 1 处需要更正") and page.banner.property("tone") == "error"
    retype(qtbot, page, "uscc", BUSINESS["uscc"])
    qtbot.keyClick(page.form.editor("uscc"), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(page.asked) == 1 and page.banner.property("tone") == "ok"  # nothing left: signing asks


def test_the_banner_is_left_alone_until_a_sign_attempt_found_problems(qtbot, page):
    page.form.set_values(dict(BUSINESS, established="2020-13-01"))
    retype(qtbot, page, "uscc", "123")
    assert page.banner.isHidden()  # the fields speak for themselves before the clerk asks to sign


@pytest.mark.parametrize(
    "value,zh,en",
    [
        ("2020-13-01", "月份应为 01–12，不是 13", "the month must be 01–12, not 13"),
        ("2020-00-10", "月份应为 01–12，不是 00", "the month must be 01–12, not 00"),
        ("2021-02-29", "2021年2月只有 28 天", "2021-02 has days 01–28, not 29"),
        ("2020-04-31", "2020年4月只有 30 天", "2020-04 has days 01–30, not 31"),
        ("2020-05-00", "2020年5月只有 31 天", "not 00"),
        ("0000-01-01", "年份应为 0001–9999", "the year must be 0001–9999"),
        ("2020-1-01", "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD"),  # the format is what is wrong
        ("２０２０-01-01", "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD"),  # full-width digits
        ("2020/01/01", "日期格式应为 YYYY-MM-DD", "dates are written YYYY-MM-DD"),
    ],
)
def test_an_impossible_date_says_which_part_is_impossible(value, zh, en):
    message_zh, message_en = established_problem(value)
    assert zh in message_zh and en in message_en
    assert ("不存在" in message_zh) == ("no such date" in message_en) == ("格式" not in message_zh)


def test_real_dates_including_a_leap_day_pass():
    for value in ("2020-02-29", "2000-02-29", "2019-12-31", "0001-01-01"):
        assert validate(licence_type("business-licence"), dict(BUSINESS, established=value), "2026-03-01", None)
