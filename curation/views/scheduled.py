"""Scheduled publishing in the dashboard: "Publish at…" / "Unpublish at…" forms, History's *Scheduled* section,
and the server's background runner.

A form takes a date and a time in the editor's time zone (the browser's, from `st.context.timezone`; UTC when
the browser does not say, and the form says so) and records a schedule through curation.editing.schedule. The
runner is one thread per docs location and server process (curation.live.schedule_runner), started from a
cached resource, that applies due schedules every $CURATION_SCHEDULE_INTERVAL seconds (15 by default; 0 turns
it off, for a deployment where cron runs `curation schedule run`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.editing.history_text import EditorClock, editor_zone
from curation.editing.schedule import (
    Schedule,
    ScheduleState,
    cancel_schedule,
    create_schedule,
    load_schedules,
    schedule_interval,
)
from curation.errors import CurationError
from curation.live.schedule_runner import ScheduleRunner
from curation.safe_markdown import escape_markdown
from curation.store import Location
from curation.views.session import Dashboard, article_name, flash, may_write

RECENT_SHOWN = 20  # ended schedules listed under the pending ones
NAMES_SHOWN = 3  # article titles named in a schedule's row before "and N more"


@st.cache_resource(max_entries=8, show_spinner=False)
def _runner_for(location: str) -> ScheduleRunner | None:
    # One per location and server process, shared by every session; it runs until the server stops.
    interval = schedule_interval()
    return ScheduleRunner(location, interval).start() if interval else None


def start_schedule_runner(location: Location) -> None:
    """Make sure this server applies the due schedules of this location (once per process)."""
    _runner_for(str(location))


def browser_clock() -> EditorClock:
    """Now, in the browser's time zone (absent outside a browser, e.g. in AppTest: UTC)."""
    return EditorClock.current(editor_zone(st.context.timezone, st.context.timezone_offset))


def _editor_clock() -> tuple[EditorClock, str]:
    """Now in the browser's time zone, and a sentence saying which zone that is."""
    name = st.context.timezone
    clock = browser_clock()
    zone = clock.zone
    if zone is dt.UTC:
        return clock, "Times are UTC: this browser did not say its time zone."
    label = str(zone) if name and str(zone) == name else clock.now.astimezone(zone).strftime("UTC%z")
    return clock, f"Times in {label}, this browser's time zone."


def render_schedule_form(area: DeltaGenerator, board: Dashboard, doc_ids: list[str], key: str) -> None:
    """A date and a time in the editor's zone, and Publish / Unpublish at that time for these articles."""
    clock, zone_sentence = _editor_clock()
    next_hour = (clock.now.astimezone(clock.zone) + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    with area.form(key=f"{key}_form", border=False):
        day_column, time_column = st.columns(2)
        today = clock.now.astimezone(clock.zone).date()
        day_column.date_input("Date", value=next_hour.date(), min_value=today, key=f"{key}_date")
        time_column.time_input("Time", value=next_hour.time(), key=f"{key}_time", step=dt.timedelta(seconds=1))
        st.caption(zone_sentence)
        for value, verb in ((True, "Publish"), (False, "Unpublish")):
            st.form_submit_button(
                f"{verb} at this time", key=f"{key}_{verb.lower()}", disabled=not (board.can_edit and doc_ids),
                on_click=schedule_from_form, args=(board, tuple(doc_ids), value, key, clock.zone),
            )  # fmt: skip
    said = st.session_state.pop(f"{key}_said", None)
    if said:
        (area.error if said[0] == "error" else area.success)(said[1])


def schedule_from_form(board: Dashboard, doc_ids: tuple[str, ...], value: bool, key: str, zone: dt.tzinfo) -> None:
    """Form callback: record the schedule, and say what was scheduled (or why not) under the form."""
    if not may_write(board, "scheduled"):
        return
    day, time = st.session_state.get(f"{key}_date"), st.session_state.get(f"{key}_time")
    if not isinstance(day, dt.date) or not isinstance(time, dt.time):
        st.session_state[f"{key}_said"] = ("error", "Choose a date and a time.")
        return
    when = dt.datetime.combine(day, time).replace(tzinfo=zone)
    try:
        schedule = create_schedule(board.location, value, when, ids=list(doc_ids), editor=board.editor)
    except CurationError as error:
        st.session_state[f"{key}_said"] = ("error", escape_markdown(str(error)))
        return
    clock = EditorClock.current(zone)
    text = f"Scheduled: {schedule.verb} {_articles(schedule, board)} at {clock.local(schedule.due)}"
    st.session_state[f"{key}_said"] = ("success", text)
    st.toast(text, icon="🕘")


def render_row_schedule(board: Dashboard, doc_id: str) -> None:
    """In an article's dialog: its pending schedules, and the form to schedule it."""
    with st.expander("Publish at… / Unpublish at…"):
        clock, _ = _editor_clock()
        for schedule in _pending(load_schedules(board.location)[0]):
            if doc_id in schedule.ids:
                st.markdown(f"Scheduled: **{schedule.verb}** at {clock.local(schedule.due)} by "
                            f"{escape_markdown(schedule.by)}")  # fmt: skip
        render_schedule_form(st.container(), board, [doc_id], "schedule_row")


def render_selection_schedule(area: DeltaGenerator, board: Dashboard, selected: set[str]) -> None:
    """In the Articles toolbar's "Edit N selected" popover (the toolbar has no room for another): schedule them."""
    area.markdown("**Publish at… / Unpublish at…**")
    render_schedule_form(area, board, sorted(selected), "schedule_selected")


def _pending(schedules: list[Schedule]) -> list[Schedule]:
    return sorted((item for item in schedules if item.state == ScheduleState.PENDING), key=lambda item: item.due)


def _articles(schedule: Schedule, board: Dashboard, name: Callable[[str, pd.Series], str] = article_name) -> str:
    """A schedule's articles by title, a few, then how many more: markdown names (`article_name`) unless told."""
    ids = schedule.ids
    titles = board.collection.frame["title"]
    names = [name(doc_id, titles) for doc_id in ids[:NAMES_SHOWN]]
    more = f" and {len(ids) - NAMES_SHOWN:,} more" if len(ids) > NAMES_SHOWN else ""
    return "; ".join(names) + more


def cancel_from_page(board: Dashboard, schedule_id: str) -> None:
    if not may_write(board, "cancelled"):
        return
    try:
        schedule = cancel_schedule(board.location, schedule_id, editor=board.editor)
    except CurationError as error:
        flash("error", escape_markdown(str(error)))
        return
    flash("success", f"Cancelled: {schedule.verb} {_articles(schedule, board)}")


def render_scheduled(board: Dashboard) -> None:
    """History's *Scheduled* section: pending schedules with Cancel, then the recent applied and cancelled ones."""
    schedules, problems = load_schedules(board.location)
    box = st.container(key="scheduled")
    if not (schedules or problems):
        return
    box.subheader("Scheduled")
    for problem in problems:
        box.warning(escape_markdown(str(problem)))  # names the log and a line anyone may have written
    clock, zone_sentence = _editor_clock()
    pending = _pending(schedules)
    if not pending:
        box.caption("Nothing is waiting to be published or unpublished.")
    for schedule in pending:
        row = box.container(horizontal=True, vertical_alignment="center", key=f"scheduled_{schedule.id}")
        row.markdown(
            f"**{clock.local(schedule.due)}** · {schedule.verb} {_articles(schedule, board)} · "
            f"by {escape_markdown(schedule.by)}"
        )
        row.button("Cancel", key=f"cancel_schedule_{schedule.id}", on_click=cancel_from_page,
                   args=(board, schedule.id), disabled=not board.can_edit)  # fmt: skip
    ended = sorted((item for item in schedules if item.ended is not None), key=lambda item: item.ended.time)
    recent = ended[::-1][:RECENT_SHOWN]
    if recent:
        table = pd.DataFrame(
            [
                {
                    "due": clock.local(item.due), "what": item.verb, "articles": _plain_articles(item, board),
                    "by": item.by, "state": str(item.state), "when": clock.local(item.ended.when),
                    "outcome": item.reason,
                }
                for item in recent
                if item.ended is not None
            ]
        )  # fmt: skip
        box.dataframe(table, hide_index=True, key="scheduled_recent")
    interval = schedule_interval()
    applier = (
        f"This dashboard's server applies due schedules every {interval:g} s"
        if interval > 0
        else "This dashboard's server does not apply schedules ($CURATION_SCHEDULE_INTERVAL is 0)"
    )
    box.caption(f"{zone_sentence} {applier}; so does `curation schedule run`.")


def _plain_articles(schedule: Schedule, board: Dashboard) -> str:
    """The articles of a schedule as plain text (a table cell shows text, never markup)."""
    return _articles(schedule, board, lambda doc_id, titles: str(titles.get(doc_id, doc_id)))
