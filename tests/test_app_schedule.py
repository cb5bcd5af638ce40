"""History's *Scheduled* section in the dashboard (AppTest): pending schedules by title with Cancel, ended ones
with their outcome."""

from __future__ import annotations

import datetime as dt

from curation.editing.schedule import ScheduleState, create_schedule, load_schedules, run_due_schedules
from curation.loading.collection import load_collection
from curation.safe_markdown import escape_markdown
from tests.conftest import SEED_ID
from tests.test_app import table_with

T0 = dt.datetime(2099, 12, 5, 6, 0, tzinfo=dt.UTC)


def test_history_lists_a_pending_schedule_by_title_and_cancels_it(app, docs):
    """Ann scheduled an unpublish; Cleo opens History, sees it by the article's title, and cancels it."""
    schedule = create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann")
    title = load_collection(docs).frame.loc[SEED_ID, "title"]
    app.run()
    app.switch_page("curation/views/history.py").run()
    assert not app.exception
    (line,) = [item.value for item in app.markdown if "by ann" in item.value]
    assert "unpublish" in line and title.split()[0] in line and "5 Dec 2099, 06:00 UTC" in line
    app.button(key=f"cancel_schedule_{schedule.id}").click().run()
    (cancelled,) = load_schedules(docs)[0]
    assert cancelled.state == ScheduleState.CANCELLED
    recent = table_with(app, "outcome")
    assert list(recent["state"]) == ["cancelled"] and list(recent["outcome"]) == ["cancelled by anonymous"]


def test_history_shows_an_applied_schedule_and_a_bad_record(app, docs):
    create_schedule(docs, True, T0, ids=[SEED_ID], editor="ann")
    run_due_schedules(docs, now=T0)
    with (docs / ".curation" / "schedule.jsonl").open("ab") as log:
        log.write(b"{}\n")
    app.run()
    app.switch_page("curation/views/history.py").run()
    recent = table_with(app, "outcome")
    assert list(recent["state"]) == ["applied"] and list(recent["outcome"]) == ["1 unchanged"]
    problem = ".curation/schedule.jsonl:3: unreadable schedule record: `record` is not one of created"
    assert any(item.value.startswith(escape_markdown(problem)) for item in app.warning)
