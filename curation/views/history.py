"""History: the audit log, newest first, with undo for the last change or any entry."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.audit import audit_log_path, read_audit_log
from curation.publish import undo_change, undo_last, undoable_entries
from curation.views.session import dashboard, flash, flash_outcomes, may_write
from curation.views.shell import render_header


def _state(value: object) -> str:
    return "published" if value else "unpublished"


def undo_newest() -> None:
    board = dashboard()
    if not may_write(board, "undone"):
        return
    outcomes = undo_last(board.folder, 1, editor=board.editor)
    if not outcomes:
        flash("warning", "Nothing to undo.")
    flash_outcomes(outcomes, "Reverted")


def undo_chosen() -> None:
    board = dashboard()
    if not may_write(board, "undone"):
        return
    change = st.session_state.get("undo_choice")
    if change:
        flash_outcomes([undo_change(board.folder, change, editor=board.editor)], "Reverted")


board = dashboard()
render_header(board, "History")
entries, log_problems = read_audit_log(audit_log_path(board.folder))
for problem in log_problems:
    st.warning(str(problem))
titles = board.collection.frame["title"]
newest = list(reversed(entries))
if not newest:
    st.info("No changes yet. Every publish, unpublish and undo will be listed here.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "time": entry.get("time", ""),
                "editor": entry.get("editor", ""),
                "article": titles.get(entry["id"], entry["id"]),
                "change": f"{_state(entry['old'])} → {_state(entry['new'])}",
                "undo of": entry.get("undoes", ""),
                "id": entry["id"],
                "change id": entry["change"],
            }
            for entry in newest
        ]
    ),
    hide_index=True,
    key="history_table",
)
writable = board.can_edit
st.button("Undo the last change", key="undo_last", on_click=undo_newest, disabled=not writable, icon=":material/undo:")
undoable = {entry["change"]: entry for entry in undoable_entries(entries)}
if undoable:
    undo_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
    undo_column.selectbox(
        "Undo one change",
        list(undoable),
        key="undo_choice",
        format_func=lambda change: (
            f"{undoable[change].get('time', '')[:19]} · {undoable[change].get('editor', '')} · "
            f"{titles.get(undoable[change]['id'], undoable[change]['id'])} · "
            f"{_state(undoable[change]['old'])} → {_state(undoable[change]['new'])}"
        ),
    )
    button_column.button("Undo this change", key="undo_entry", on_click=undo_chosen, disabled=not writable)
