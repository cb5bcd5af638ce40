"""Triage: the sidebar's filter and sort as a queue, one large card at a time, worked through by keyboard.

`p` publishes and goes on, `u` unpublishes and goes on, `s` or `j` skips, `k` goes back, `e` opens the
article's dialog (the same as the table's), `z` undoes this session's last change here; each is also a
button. The card is one element (triage_card.py and its script), which shows the next card as soon as a
key is pressed while the server writes. Every write goes through the same safe path as a tick (id and
the sha the card showed, a conflict named, a toast by title). The URL carries the filters (the sidebar)
and the card (`card=<id>`), so a shared link opens the same card.
"""

from __future__ import annotations

import streamlit as st

from curation.editing.publish import OutcomeStatus, undo_change
from curation.safe_markdown import escape_markdown
from curation.views.articles import plain_text
from curation.views.field_editing import EDIT_KEY, SAVED_KEY, edit_dialog, row_edit
from curation.views.layout import render_header
from curation.views.session import (
    Dashboard,
    article_name,
    dashboard,
    live_collection,
    may_write,
    write_published,
)
from curation.views.triage_card import WRITES, TriageEvent, card_state, mount_card, new_events, triage_data
from curation.views.triage_queue import Mark, TriageProgress, TriageQueue, Written
from curation.views.url_state import TRIAGE_PARAMETERS, seed_from_url, write_parameter

PROGRESS_KEY = "_triage_progress"
LINKED_KEY = "_triage_linked_card"  # the card a link asked for, until the queue is taken
PENDING_TOASTS_KEY = "_triage_toasts"  # (icon, markdown) shown by the card's next run
(CARD_PARAMETER,) = TRIAGE_PARAMETERS
ICONS = {"success": "✅", "info": "ℹ️"}  # anything else is a problem: ⚠️
EMPTY = "No articles match the filters. Loosen them in the sidebar."


def announce(kind: str, text: str) -> None:
    """A message for the card's next run: a toast, and a problem also as the card's notice."""
    st.session_state.setdefault(PENDING_TOASTS_KEY, []).append((ICONS.get(kind, "⚠️"), text))
    progress = st.session_state.get(PROGRESS_KEY)
    if kind not in ICONS and isinstance(progress, TriageProgress):
        progress.notice = plain_text(text)


def show_announced() -> None:
    """The toasts `announce` kept, shown by this run of the card."""
    for icon, text in st.session_state.pop(PENDING_TOASTS_KEY, []):
        st.toast(text, icon=icon)


def triage_progress(board: Dashboard) -> TriageProgress:
    """This session's progress in the queue of the sidebar's view, taken now if the view is new."""
    view = (str(board.location), board.filters)
    progress = st.session_state.get(PROGRESS_KEY)
    if isinstance(progress, TriageProgress) and progress.queue.view == view:
        return progress
    queue = TriageQueue(view, tuple(board.collection.frame.index[board.positions]))
    progress = progress.with_queue(queue) if isinstance(progress, TriageProgress) else TriageProgress(queue)
    seed_from_url(LINKED_KEY, CARD_PARAMETER, lambda values: values[-1])
    linked = st.session_state.pop(LINKED_KEY, None)
    if isinstance(linked, str):
        progress.open_linked(linked)
    st.session_state[PROGRESS_KEY] = progress
    return progress


def write_card(board: Dashboard, progress: TriageProgress, event: TriageEvent) -> None:
    """Publish or unpublish the card with the sha it showed; on to the next card, or stay on it when the
    write failed (the card then shows what is on disk, and the notice why)."""
    value = WRITES[event.kind]
    expected = progress.expected_sha(event.doc_id, event.sha)
    outcomes = write_published(board, [event.doc_id], value, {event.doc_id: expected}, announce)
    outcome = outcomes[0] if outcomes else None
    if outcome is None or outcome.failed:
        progress.move_to(event.doc_id)
        return
    before = progress.mark(event.doc_id, Mark.PUBLISHED if value else Mark.UNPUBLISHED)
    change = outcome.change
    if outcome.status == OutcomeStatus.CHANGED and change is not None and change.entry is not None:
        progress.record_write(change.entry.change, event.doc_id, before, (change.sha_before, change.sha_after))
    progress.move_after(event.doc_id)


def undo_last_write(board: Dashboard, progress: TriageProgress) -> None:
    """Undo this session's last change made here (through the audit log, as History's undo), and show its card."""
    if not may_write(board, "undone", announce):
        return
    if not progress.written:
        announce("info", "Nothing to undo: no change was made on this page in this session.")
        return
    written = progress.written.pop()
    location = board.location
    live = live_collection(location)
    (outcome,) = live.recording(lambda: [undo_change(location, written.change, editor=board.editor)])
    name = article_name(written.doc_id, live.current().frame["title"])
    if outcome.status == OutcomeStatus.CHANGED:
        announce("success", f"Reverted: {name}")
    elif outcome.status == OutcomeStatus.UNCHANGED:
        announce("info", f"Undone already: {name}")
    elif outcome.status == OutcomeStatus.CONFLICT:
        announce("error", f"Not undone, nothing written: {name} changed on disk since your change.")
    else:
        announce("error", f"Not undone: {name}: {escape_markdown(outcome.message)}")
    if not outcome.failed:
        progress.take_back(written)
        if outcome.change is not None:
            progress.own_writes[written.doc_id] = (outcome.change.sha_before, outcome.change.sha_after)
    progress.move_to(written.doc_id)


def apply_event(board: Dashboard, progress: TriageProgress, event: TriageEvent) -> bool:
    """Apply one event; whether the whole page must run again (the article's dialog)."""
    progress.notice = ""
    if event.kind in WRITES:
        write_card(board, progress, event)
    elif event.kind == "skip":
        progress.mark(event.doc_id, Mark.SKIPPED)
        progress.move_after(event.doc_id)
    elif event.kind == "back":
        progress.move_to(event.doc_id)
    elif event.kind == "undo":
        undo_last_write(board, progress)
    else:  # edit: the same dialog as the table's; what it saves is this page's to undo (see take_saved_edits)
        frame = live_collection(board.location).current().frame
        progress.move_to(event.doc_id)
        st.session_state.pop(SAVED_KEY, None)
        progress.editing = event.doc_id
        if event.doc_id in frame.index:
            st.session_state[EDIT_KEY] = row_edit(frame.loc[event.doc_id])
            return True
    return False


def apply_card_events(board: Dashboard) -> None:
    """The card's callback: apply each new event from the browser once, in order."""
    progress = triage_progress(board)
    whole_page = False
    for event in new_events(card_state(), progress.queue.positions):
        whole_page |= apply_event(board, progress, event)
    if whole_page:
        st.rerun()


def take_saved_edits(progress: TriageProgress) -> None:
    """The fields saved in the dialog this page opened are this session's changes here: `z` undoes them too,
    the newest first (the card's mark stays: an edit does not publish or skip)."""
    saved = st.session_state.get(SAVED_KEY)
    if progress.editing is None or not saved or saved[0] != progress.editing:
        return
    del st.session_state[SAVED_KEY]
    doc_id, changes = saved
    progress.editing = None
    for change in changes:
        progress.written.append(Written(change, doc_id, progress.marks.get(doc_id)))


def render_card(board: Dashboard) -> None:
    """The card (a fragment: a key press runs only this)."""
    collection = live_collection(board.location).current()  # in a run of the fragment alone, what is on disk now
    progress = triage_progress(board)
    take_saved_edits(progress)
    current = progress.current_id
    write_parameter(CARD_PARAMETER, [current] if current is not None else [])
    data = triage_data(progress, collection.frame, collection.likely_duplicates, can_edit=board.can_edit, empty=EMPTY)
    mount_card(data, lambda: apply_card_events(board))
    show_announced()


def render(board: Dashboard) -> None:
    """The Triage page for this run's dashboard."""
    render_header(board, "Triage")
    if not board.can_edit:
        st.info(f"Read-only: {board.why_not}.", icon="🔒")
    st.fragment(render_card)(board)
    if st.session_state.get(EDIT_KEY):  # last, so opening it moves nothing above
        edit_dialog(board)


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
