"""Editing fields from the Articles page: category, type and topics of a row, title and excerpt in the
details, and bulk category and topic changes on the selection.

Every write goes through the same safe path as a Published tick (curation.publish), by id, with the
sha of the version the editor saw, and swaps the written row into the shared collection, so the rows
hold still and show the new values, marked as changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.errors import InvalidValueError
from curation.field_edits import check_value
from curation.publish import Change, change_topics, set_field
from curation.views.session import Dashboard, article_name, flash, keep_bulk_summary, write_changes

EDIT_KEY = "_field_edit"  # the row whose edit dialog is open
FIELD_BULK_KEY = "_field_bulk"  # the bulk field change waiting for confirmation
BULK_ACTIONS = {"category": "Set category", "add": "Add topic", "remove": "Remove topic"}


@dataclass(frozen=True)
class RowEdit:
    """The row an editor opened for editing, and the sha its row showed then."""

    doc_id: str
    sha: str


@dataclass(frozen=True)
class FieldBulkRequest:
    """A bulk field change the editor asked for: what, on which ids, with the shas they saw."""

    action: str  # a key of BULK_ACTIONS
    ids: tuple[str, ...]
    shas: dict[str, str]


def edit_button(cells: DeltaGenerator, doc_id: str, sha: str, label: str, can_edit: bool) -> None:
    """The row's edit button: opens the dialog for this article (by id, with the sha the row shows)."""
    cells.button(
        ":material/edit:", key=f"edit:{doc_id}", on_click=_open_editor, args=(doc_id, sha),
        help=f"Edit category, type and topics of {label}", disabled=not can_edit, type="tertiary",
    )  # fmt: skip


def _open_editor(doc_id: str, sha: str) -> None:
    st.session_state[EDIT_KEY] = RowEdit(doc_id, sha)
    st.rerun()  # the button sits in its row's fragment; the dialog belongs to the whole page


def _close_editor() -> None:
    st.session_state.pop(EDIT_KEY, None)


def _save(board: Dashboard, doc_id: str, sha: str, values: dict[str, object]) -> None:
    """Write each changed field in turn, each with the sha the previous write left; one message for all."""
    messages: list[tuple[str, str]] = []
    expected = sha
    saved = []
    for field, value in values.items():
        outcomes = write_changes(
            board, [doc_id], _setter(board, field, value), {doc_id: expected}, "Saved",
            lambda kind, text: messages.append((kind, text)),
        )  # fmt: skip
        outcome = outcomes[0] if outcomes else None
        if outcome is None or outcome.failed:
            break
        if outcome.change is not None and outcome.change.changed:
            expected = outcome.change.sha_after
            saved.append(field)
    errors = [(kind, text) for kind, text in messages if kind == "error"]
    for kind, text in errors:
        flash(kind, text)
    if saved:
        flash("success", f"Saved {', '.join(saved)}: {article_name(doc_id, board.collection.frame['title'])}")
    elif not errors:
        flash("info", f"Nothing to save: {article_name(doc_id, board.collection.frame['title'])}")


def _setter(board: Dashboard, field: str, value: object) -> Callable[..., Change]:
    folder = board.folder
    return lambda doc_id, **options: set_field(folder, doc_id, field, value, **options)


@st.dialog("Edit article", on_dismiss=_close_editor)
def edit_dialog(board: Dashboard) -> None:
    """Category, type and topics of the row the editor opened."""
    request: RowEdit = st.session_state[EDIT_KEY]
    frame = board.collection.frame
    if request.doc_id not in frame.index:
        st.warning("This article's file went away.")
        return
    row = frame.loc[request.doc_id]
    st.markdown(article_name(request.doc_id, frame["title"]))
    topic_choices = sorted({*board.collection.facets["topic"].labels, *row["topics"]})
    with st.form(key="edit_form", border=False):
        category = st.text_input("Category", value=row["category"], key="edit_category", max_chars=100)
        kind = st.text_input("Type", value=row["type"], key="edit_type", max_chars=100)
        topics = st.multiselect(
            "Topics", topic_choices, default=list(row["topics"]), key="edit_topics", accept_new_options=True
        )
        submitted = st.form_submit_button("Save", type="primary", disabled=not board.can_edit)
    if submitted:
        wanted = {"category": category, "type": kind, "topics": list(topics)}
        try:
            checked = {field: check_value(field, value) for field, value in wanted.items()}
        except InvalidValueError as error:
            st.error(f"{error.path}: {error.message}")
            return
        current = {"category": row["category"], "type": row["type"], "topics": list(row["topics"])}
        changed = {field: value for field, value in checked.items() if value != current[field]}
        _save(board, request.doc_id, request.sha, changed)
        _close_editor()
        st.rerun()


def render_text_editor(board: Dashboard, doc_id: str) -> None:
    """Title and excerpt of the article in the details, saved with the sha the editor saw."""
    frame = board.collection.frame
    if doc_id not in frame.index:
        return
    row = frame.loc[doc_id]
    sha = row["sha256"]
    with st.form(key=f"details_form:{doc_id}:{sha[:16]}"):  # a new version of the file gets a fresh form
        title = st.text_input("Title", value=row["title"], max_chars=500, key=f"details_title:{doc_id}:{sha[:16]}")
        excerpt = st.text_area(
            "Excerpt", value=row["excerpt"], max_chars=5000, key=f"details_excerpt:{doc_id}:{sha[:16]}"
        )
        saved = st.form_submit_button("Save title and excerpt", disabled=not board.can_edit)
    if saved:
        wanted = {"title": title, "excerpt": excerpt}
        try:
            checked = {field: check_value(field, value) for field, value in wanted.items()}
        except InvalidValueError as error:
            st.error(f"{error.path}: {error.message}")
            return
        changed = {field: value for field, value in checked.items() if value != row[field]}
        _save(board, doc_id, sha, changed)
        st.rerun()


def render_field_bulk_buttons(columns: list[DeltaGenerator], board: Dashboard, selected: set[str]) -> None:
    """Set category…, Add topic… and Remove topic… for the selected articles."""
    chosen = tuple(sorted(selected))
    for column, (action, label) in zip(columns, BULK_ACTIONS.items(), strict=True):
        column.button(
            f"{label}…", key=f"bulk_field_{action}", on_click=_request_field_bulk, args=(board, action, chosen),
            disabled=not (board.can_edit and selected), help=f"{label} for the {len(selected):,} selected articles",
        )  # fmt: skip


def _request_field_bulk(board: Dashboard, action: str, chosen: tuple[str, ...]) -> None:
    rows = board.collection.frame
    rows = rows[rows.index.isin(chosen)]
    st.session_state[FIELD_BULK_KEY] = FieldBulkRequest(action, tuple(rows.index), dict(rows["sha256"]))


def _bulk_writer(board: Dashboard, action: str, value: str) -> Callable[..., Change]:
    folder = board.folder
    if action == "category":
        return _setter(board, "category", value)
    change = {"add": [value]} if action == "add" else {"remove": [value]}
    return lambda doc_id, **options: change_topics(folder, doc_id, **change, **options)


def _cancel_field_bulk() -> None:
    st.session_state.pop(FIELD_BULK_KEY, None)


def would_change(frame: pd.DataFrame, action: str, value: str) -> pd.Series:
    """Per row: whether the bulk action with this value changes its file."""
    if action == "category":
        return frame["category"] != value
    has_topic = frame["topics"].map(lambda topics: value in topics)
    return ~has_topic if action == "add" else has_topic


@st.dialog("Change the selected articles", on_dismiss=_cancel_field_bulk)
def confirm_field_bulk(board: Dashboard) -> None:
    request: FieldBulkRequest = st.session_state[FIELD_BULK_KEY]
    label = BULK_ACTIONS[request.action]
    field = "category" if request.action == "category" else "topics"
    typed = st.text_input("Category" if field == "category" else "Topic", key="bulk_field_value")
    value: str | None = None
    if typed.strip():
        try:
            value = check_value(field, typed) if field == "category" else check_value(field, [typed])[0]
        except InvalidValueError as error:
            st.error(error.message)
    frame = board.collection.frame.reindex(list(request.ids)).dropna(subset=["sha256"])
    changing = list(frame.index[would_change(frame, request.action, value)]) if value is not None else []
    st.markdown(f"**{len(changing):,} files will change** of the {len(request.ids):,} selected articles.")
    confirm_column, cancel_column = st.columns(2)
    confirm = confirm_column.button(
        f"{label}: {len(changing):,}", key="bulk_field_confirm", type="primary", disabled=not changing
    )
    if confirm:
        outcomes = write_changes(
            board, changing, _bulk_writer(board, request.action, value), request.shas, label, lambda *_: None
        )
        keep_bulk_summary(f"{label}:", outcomes)
        _cancel_field_bulk()
        st.rerun()
    if cancel_column.button("Cancel", key="bulk_field_cancel"):
        _cancel_field_bulk()
        st.rerun()
