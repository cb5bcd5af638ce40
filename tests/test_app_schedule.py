"""History's *Scheduled* section in the dashboard (AppTest): pending schedules by title with Cancel, ended ones
with their outcome."""

from __future__ import annotations

import datetime as dt

from curation.editing.schedule import ScheduleState, create_schedule, load_schedules, run_due_schedules
from curation.loading.collection import load_collection
from curation.safe_markdown import escape_markdown
from tests.conftest import SEED_ID
from tests.test_app import no_exceptions, table_with
from tests.test_app_field_edits import open_article, open_seed_row

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


def test_an_editor_schedules_an_unpublish_from_the_article_dialog(app, docs):
    """The row's dialog has "Publish at… / Unpublish at…": a date and a time (UTC here: AppTest has no browser
    zone, and the form says so) record a schedule for that article; a time in the past is refused."""
    open_seed_row(app)
    open_article(app, SEED_ID)
    assert any("Times are UTC" in caption.value for caption in app.caption)
    app.date_input(key="schedule_row_date").set_value(dt.date(2027, 12, 5))
    app.time_input(key="schedule_row_time").set_value(dt.time(6, 30))
    app.button(key="schedule_row_unpublish").click().run()
    assert no_exceptions(app)
    (schedule,) = load_schedules(docs)[0]
    assert (schedule.created.ids, schedule.publish, schedule.created.at) == (
        (SEED_ID,),
        False,
        "2027-12-05T06:30:00.000000Z",
    )
    assert any(toast.value.startswith("Scheduled: unpublish Stream It Or Skip It") for toast in app.toast)

    app.time_input(key="schedule_row_time").set_value(dt.time(0, 0))
    app.date_input(key="schedule_row_date").set_value(dt.datetime.now(dt.UTC).date())  # today, at midnight
    app.button(key="schedule_row_publish").click().run()
    assert any("is in the past" in error.value for error in app.error)
    assert len(load_schedules(docs)[0]) == 1
