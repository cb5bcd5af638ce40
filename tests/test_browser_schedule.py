"""End to end: an editor schedules a publish from the dashboard, sees it in History, and the running server
applies it when it is due (a real Chromium, in Paris time, against `streamlit run`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from curation.editing.publish import load_history
from curation.editing.schedule import ScheduleState, load_schedules
from tests.browser_support import VIEWPORT, local_page, serve_dashboard
from tests.conftest import screenshot_if_failed
from tests.test_browser import (
    WAIT_MS,
    expect_toast,
    open_app,
    row_ids,
    select_box,
    settle,
    toolbar_menu,
    unpublished_article,
    wait_for,
)

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def schedule_server(docs: Path, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """The dashboard on this test's copy of seeds/, applying due schedules every second."""
    monkeypatch.setenv("CURATION_SCHEDULE_INTERVAL", "1")
    with serve_dashboard(docs, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def paris_page(browser, request):
    """A tab whose browser says it is in Paris: the form's time is Paris time."""
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/Paris")
    opened = local_page(context)
    yield opened
    screenshot_if_failed(opened, request)
    context.close()


def test_a_publish_scheduled_in_the_dashboard_is_listed_then_applied_by_the_server(schedule_server, paris_page, docs):
    from playwright.sync_api import expect

    page = paris_page
    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    open_app(page, f"{schedule_server}/?search={quote(title)}")
    assert row_ids(page) == [doc_id]
    select_box(page, doc_id).click()
    settle(page)
    panel = toolbar_menu(page, "Edit 1 selected")
    expect(panel).to_contain_text("Times in Europe/Paris, this browser's time zone.")
    due = (dt.datetime.now(PARIS) + dt.timedelta(seconds=20)).replace(microsecond=0)  # time to look before
    # Each segment of the date and the time takes its digits, then the next one has the focus.
    panel.get_by_role("spinbutton", name="year, Date").click()
    page.keyboard.type(due.strftime("%Y%m%d"))
    panel.get_by_role("spinbutton", name="hour, Time").click()
    page.keyboard.type(due.strftime("%H%M%S"))
    panel.get_by_role("button", name="Publish at this time", exact=True).click()
    expect_toast(page, "Scheduled: publish")
    (schedule,) = load_schedules(docs)[0]
    assert (schedule.created.ids, schedule.publish, schedule.due) == ((doc_id,), True, due.astimezone(dt.UTC))
    assert b"\npublished: false\n" in path.read_bytes()  # not before it is due

    open_app(page, f"{schedule_server}/history", rows=False)
    section = page.locator(".st-key-scheduled")
    expect(section).to_contain_text("Scheduled", timeout=WAIT_MS)
    expect(section).to_contain_text(f"{due:%H:%M} {due.tzname()}", timeout=WAIT_MS)
    expect(section).to_contain_text(title.split()[0], timeout=WAIT_MS)

    wait_for(lambda: b"\npublished: true\n" in path.read_bytes(), "the server to apply the schedule")
    (entry,) = [entry for entry in load_history(docs)[0].entries if entry.schedule == schedule.id]
    assert (entry.id, entry.new, entry.scheduled_by) == (doc_id, True, schedule.by)
    wait_for(lambda: load_schedules(docs)[0][0].state == ScheduleState.APPLIED, "the schedule to be recorded")
    open_app(page, f"{schedule_server}/history", rows=False)
    expect(page.locator(".st-key-scheduled")).to_contain_text("Nothing is waiting", timeout=WAIT_MS)
    expect(page.locator(".st-key-scheduled [data-testid='stDataFrame']")).to_be_visible(timeout=WAIT_MS)
