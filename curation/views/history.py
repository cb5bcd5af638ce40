"""History: the audit log, newest first, with undo for the last change or any entry."""

from __future__ import annotations

from itertools import islice

import pandas as pd
import streamlit as st

from curation.publish import load_history, undo_change, undo_last
from curation.safety import escape_markdown
from curation.views.session import dashboard, flash, flash_outcomes, live_collection, may_write
from curation.views.shell import render_header

SHOWN_ENTRIES = 500


def _state(value: object) -> str:
    return "published" if value else "unpublished"


def undo_newest() -> None:
    board = dashboard()
    if not may_write(board, "undone"):
        return
    # Through the shared collection, like a tick: the undone row is swapped in, nothing is reloaded.
    outcomes = live_collection(board.folder).recording(lambda: undo_last(board.folder, 1, editor=board.editor))
    if not outcomes:
        flash("warning", "Nothing to undo.")
    flash_outcomes(outcomes, "Reverted")


def undo_chosen() -> None:
    board = dashboard()
    if not may_write(board, "undone"):
        return
    change = st.session_state.get("undo_choice")
    if change:
        outcomes = live_collection(board.folder).recording(
            lambda: [undo_change(board.folder, change, editor=board.editor)]
        )
        flash_outcomes(outcomes, "Reverted")


board = dashboard()
render_header(board, "History")
history, log_problems = load_history(board.folder)
for problem in log_problems:
    st.warning(escape_markdown(str(problem)))  # names the log and a line that anyone may have written
titles = board.collection.frame["title"]
if not history.entries:
    st.info("No changes yet. Every publish, unpublish and undo will be listed here.")
    st.stop()
# Whether an entry took effect may need its file read: judge only the rows shown.
newest = [history.entries[position] for position in range(len(history.entries) - 1, -1, -1)][:SHOWN_ENTRIES]
completed = [history.took_effect(len(history.entries) - 1 - offset) for offset in range(len(newest))]
if len(history.entries) > SHOWN_ENTRIES:
    st.caption(f"The newest {SHOWN_ENTRIES:,} of {len(history.entries):,} changes; `curation history` lists all.")
st.dataframe(
    pd.DataFrame(
        [
            {
                "time": entry.time,
                "editor": entry.editor,
                "article": titles.get(entry.id, entry.id),
                "change": f"{_state(entry.old)} → {_state(entry.new)}" + ("" if done else " (did not complete)"),
                "undo of": entry.undoes or "",
                "id": entry.id,
                "change id": entry.change,
            }
            for entry, done in zip(newest, completed, strict=True)
        ]
    ),
    hide_index=True,
    key="history_table",
)
writable = board.can_edit
st.button("Undo the last change", key="undo_last", on_click=undo_newest, disabled=not writable, icon=":material/undo:")
undoable = {entry.change: entry for entry in islice(history.undoable(), SHOWN_ENTRIES)}
if undoable:
    undo_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
    undo_column.selectbox(
        "Undo one change",
        list(undoable),
        key="undo_choice",
        format_func=lambda change: (
            f"{undoable[change].time[:19]} · {undoable[change].editor} · "
            f"{titles.get(undoable[change].id, undoable[change].id)} · "
            f"{_state(undoable[change].old)} → {_state(undoable[change].new)}"
        ),
    )
    button_column.button("Undo this change", key="undo_entry", on_click=undo_chosen, disabled=not writable)
