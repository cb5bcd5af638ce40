"""History: the audit log, newest first, in the editor's local time; a bulk action is one row and undone as one."""

from __future__ import annotations

from itertools import islice

import pandas as pd
import streamlit as st

from curation.editing.history_text import (
    COLUMNS,
    EditorClock,
    HistoryWords,
    editor_zone,
    history_rows,
    outcome_rows,
    undo_summary,
)
from curation.editing.publish import Outcome, load_history, undo_batch, undo_change, undo_last
from curation.errors import CurationError
from curation.safe_markdown import escape_markdown
from curation.views.layout import render_header
from curation.views.scheduled import render_scheduled
from curation.views.session import (
    Dashboard,
    dashboard,
    flash,
    flash_outcomes,
    live_collection,
    may_write,
    outcome_messages,
)

SHOWN_ROWS = 500
UNDO_SUMMARY_KEY = "_history_undo_summary"
# Room for the words an editor reads (the article's title, what was undone); the ids and UTC come last.
COLUMN_WIDTHS = {
    name: st.column_config.Column(width=width)
    for name, width in (("change", "medium"), ("article", "medium"), ("undone", "medium"), ("undo of", "medium"))
}


def undo_newest(board: Dashboard) -> None:
    if not may_write(board, "undone"):
        return
    # Through the shared collection, like a tick: the undone row is swapped in, nothing is reloaded.
    outcomes = live_collection(board.location).recording(lambda: undo_last(board.location, 1, editor=board.editor))
    if not outcomes:
        flash("warning", "Nothing to undo.")
    flash_outcomes(outcomes, "Reverted")


def undo_chosen(board: Dashboard) -> None:
    if not may_write(board, "undone"):
        return
    change = st.session_state.get("undo_choice")
    if change:
        outcomes = live_collection(board.location).recording(
            lambda: [undo_change(board.location, change, editor=board.editor)]
        )
        flash_outcomes(outcomes, "Reverted")


def undo_chosen_batch(board: Dashboard) -> None:
    """Undo every change of the chosen bulk action as one request; the page shows what happened to each file."""
    if not may_write(board, "undone"):
        return
    batch = st.session_state.get("batch_choice")
    if not batch:
        return
    try:
        outcomes = live_collection(board.location).recording(
            lambda: undo_batch(board.location, batch, editor=board.editor)
        )
    except CurationError as error:  # the log itself could not be read
        flash("error", escape_markdown(str(error)))
        return
    st.session_state[UNDO_SUMMARY_KEY] = outcomes
    for kind, text in outcome_messages(outcomes, "Reverted", board.collection.frame["title"]):
        if kind != "error":  # each file not written is named in the summary's table
            flash(kind, text)


def render_undo_summary(titles: pd.Series) -> None:
    box = st.container(key="undo_summary")  # drawn on every run: what follows keeps its place
    outcomes: list[Outcome] | None = st.session_state.pop(UNDO_SUMMARY_KEY, None)
    if not outcomes:
        return
    (box.warning if any(outcome.failed for outcome in outcomes) else box.success)(undo_summary(outcomes))
    failed_first = sorted(outcomes, key=lambda outcome: not outcome.failed)
    box.dataframe(pd.DataFrame(outcome_rows(failed_first, titles)), hide_index=True, key="undo_summary_table")


def render(board: Dashboard) -> None:
    """The History page for this run's dashboard."""
    render_header(board, "History")
    render_scheduled(board)
    history, log_problems = load_history(board.location)
    for problem in log_problems:
        st.warning(escape_markdown(str(problem)))  # names the log and a line that anyone may have written
    titles = board.collection.frame["title"]
    render_undo_summary(titles)
    if not history.entries:
        st.info("No changes yet. Every publish, unpublish and undo will be listed here.")
        return
    # The browser's zone (absent outside a browser, e.g. in AppTest: UTC); the exact UTC time is the last column.
    clock = EditorClock.current(editor_zone(st.context.timezone, st.context.timezone_offset))
    words = HistoryWords(history, titles, clock)
    # Whether an entry took effect may need its file read: judge only the rows shown.
    rows = history_rows(history.entries, SHOWN_ROWS)
    shown_changes = sum(len(row.positions) for row in rows)
    if shown_changes < len(history.entries):
        st.caption(
            f"The newest {len(rows):,} rows ({shown_changes:,} of {len(history.entries):,} changes); "
            "`curation history` lists all."
        )
    st.caption(f"Times in {clock.zone_name()}, this browser's time zone; the UTC column has the exact time.")
    table = pd.DataFrame([words.row(row) for row in rows], columns=list(COLUMNS))
    st.dataframe(table, hide_index=True, key="history_table", column_config=COLUMN_WIDTHS)
    writable = board.can_edit
    st.button(
        "Undo the last change",
        key="undo_last",
        on_click=undo_newest,
        args=(board,),
        disabled=not writable,
        icon=":material/undo:",
    )

    bulk = {row.batch: row for row in rows if row.batch is not None}
    if bulk:
        st.subheader("Bulk actions")
        choice = st.selectbox(
            "Bulk action", list(bulk), key="batch_choice",
            format_func=lambda batch: words.batch_label(bulk[batch]),
        )  # fmt: skip
        chosen = bulk[choice]
        files = pd.DataFrame(words.file_rows(chosen), columns=list(COLUMNS))
        st.dataframe(files, hide_index=True, key="batch_table", column_config=COLUMN_WIDTHS)
        undone, done = words.undone_count(chosen)
        left = done - undone
        st.button(
            "Undo this bulk action" if left else ("Undone already" if done else "Nothing to undo"), key="undo_batch",
            on_click=undo_chosen_batch, args=(board,), disabled=not (writable and left), icon=":material/undo:",
            help=f"Reverts its {left:,} changes not undone yet; each file only if it is still as this action left it",
        )  # fmt: skip

    undoable = {entry.change: entry for entry in islice(history.undoable(), SHOWN_ROWS)}
    if undoable:
        undo_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
        undo_column.selectbox(
            "Undo one change",
            list(undoable),
            key="undo_choice",
            format_func=lambda change: words.change_label(undoable[change]),
        )
        button_column.button(
            "Undo this change", key="undo_entry", on_click=undo_chosen, args=(board,), disabled=not writable
        )


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
