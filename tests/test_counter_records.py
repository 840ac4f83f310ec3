"""The records table over 5,000 real certificates: it loads in pages,
painting and scrolling through loaded rows asks the node nothing, and the
searches a clerk makes find the right licences."""

from __future__ import annotations

import pytest
from counter_support import (
    backend,
    build_city,
    close_window,
    open_window,
    sign_in,
    style_app,
)
from PySide6.QtCore import Qt

from bench.counter import bulk_issue, holder
from democity import samples, spec
from ui.backend import RecordQuery
from ui.counter.records_model import PAGE

# Twenty-five pages of rows, so paging is real; speed at 100,000 is measured by
# bench/counter.py (building 20,000 here cost the suite half a minute, 100,000 more than one).
COUNT = 5_000


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    city = build_city(tmp_path_factory.mktemp("counter-records") / "city")
    local = backend(city, "market-regulation")
    try:
        user = local.node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
        bulk_issue(local.node, user, COUNT, batch=5000, index=local.queries.index)
    finally:
        local.close()
    return city


@pytest.fixture(autouse=True)
def styled(qapp):
    style_app(qapp)


@pytest.fixture
def records(qtbot, city):
    window = open_window(qtbot, city, "market-regulation")
    sign_in(qtbot, window, "clerk")
    page = window.workspace.show_page("records")
    qtbot.waitUntil(lambda: page.model.total > COUNT, timeout=20000)
    yield window, page
    close_window(window)


def test_painting_and_scrolling_loaded_rows_runs_no_query(qtbot, records):
    window, page = records
    queries: list[str] = []
    window.backend.readers.hook = queries.append
    try:
        model, table = page.model, page.table
        assert len(model.rows) == PAGE and model.canFetchMore()
        for row in (0, 50, 120, PAGE - 40, 10):
            table.scrollTo(model.index(row, 0))
            table.viewport().repaint()
            table.grab()
        assert queries == []  # data() reads fetched rows only
        table.scrollToBottom()  # near the end the view asks for the next page, in the background
        qtbot.waitUntil(lambda: len(model.rows) >= 2 * PAGE, timeout=10000)
        reads = [q for q in queries if not q.startswith("ATTACH DATABASE")]  # a new thread's connection: once
        assert reads and all(q.lstrip().upper().startswith("SELECT") for q in reads)
        fetched = len(queries)
        table.viewport().repaint()
        table.scrollTo(model.index(PAGE + 5, 0))
        table.grab()
        assert len(queries) == fetched
        assert model.rows[PAGE].seq < model.rows[PAGE - 1].seq  # the next page continues newest-first
    finally:
        window.backend.readers.hook = None


def test_a_clerk_finds_licences_by_holder_number_type_and_status(qtbot, records):
    window, page = records
    name = holder(4321)  # made-up names repeat every 8,000 certificates: here it is one licence
    page.text.setText(name)
    page.search()
    qtbot.waitUntil(
        lambda: page.model.query.text == name and page.model.total > 0 and not page.model._loading, timeout=10000
    )
    assert page.model.total == len([n for n in range(COUNT) if holder(n) == name])
    assert all(row.holder.startswith("示范市第") for row in page.model.rows)  # a company is shown by its name
    page.text.setText("000123")
    page.search()
    qtbot.waitUntil(lambda: page.model.query.text == "000123" and not page.model._loading, timeout=10000)
    assert {row.cert_id.split(".")[-3] for row in page.model.rows} == {"000123"}
    page.text.setText("")
    page.status.setCurrentIndex(page.status.findData("revoked"))
    qtbot.waitUntil(lambda: page.model.query.status == "revoked" and not page.model._loading, timeout=10000)
    assert page.model.total == 0 and page.results.currentWidget() is page.empty
    page.status.setCurrentIndex(0)
    page.date_from.setText("2026-99-01")
    page.search()
    qtbot.waitUntil(lambda: not page.banner.isHidden(), timeout=10000)
    assert "YYYY-MM-DD" in page.banner.text() and page.date_from.property("invalid") is True


def test_sorting_asks_the_node_for_that_order(qtbot, records):
    window, page = records
    page.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: page.model.query.sort == "id" and not page.model._loading, timeout=10000)
    ids = [row.cert_id for row in page.model.rows]
    assert ids == sorted(ids) and len(ids) == PAGE
    session = window.counter.session
    first = window.backend.find_certificates(session, RecordQuery(sort="id", descending=False), 0, 1).rows[0]
    assert ids[0] == first.cert_id


def test_an_erased_holder_is_no_longer_found_by_name(city):
    """A deletion request takes the holder's keyed hashes out of the search
    index with the seed: the certificate stays, the person cannot be found."""
    from certificates.desk import CertificateDesk

    local = backend(city, "market-regulation")
    try:
        clerk = local.sign_in("clerk", spec.PASSWORDS["clerk"])
        name = "欧阳未名"  # no bulk licence has a compound surname
        issued = local.issue(clerk, "business-licence", {**samples.SAMPLES["business-licence"], "legal_rep": name})
        found = local.find_certificates(clerk, RecordQuery(text=name))
        assert [row.cert_id for row in found.rows] == [issued.cert_id]
        supervisor = local.node.users.authenticate("supervisor", spec.PASSWORDS["supervisor"])
        with local.node.lock:
            assert CertificateDesk(local.node).erase(supervisor, issued.cert_id)
        assert local.find_certificates(clerk, RecordQuery(text=name)).total == 0
        [row] = local.find_certificates(clerk, RecordQuery(text=issued.cert_id.split(".")[-3])).rows
        assert row.cert_id == issued.cert_id and row.holder == ""
    finally:
        local.close()
