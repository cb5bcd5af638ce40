"""History: the audit log, newest first, in the editor's local time; a bulk action is one row and undone as one.

It lists the changes of the articles the sidebar's filters show (or of every article, or of one: `?article=<id>`,
linked from an article's dialog), by every editor or some (`?editor=`), and draws any change whole: the file's
lines before and after.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.audit import AuditEntry, AuditHistory
from curation.editing.history_text import (
    COLUMNS,
    HistoryFilter,
    HistoryRow,
    HistoryWords,
    article_title,
    change_lines,
    history_rows,
    outcome_rows,
    undo_summary,
)
from curation.editing.publish import Outcome, load_history, undo_batch, undo_change
from curation.errors import CurationError
from curation.safe_markdown import escape_markdown
from curation.views.layout import render_header
from curation.views.scheduled import browser_clock, render_scheduled
from curation.views.session import (
    Dashboard,
    dashboard,
    flash,
    flash_outcomes,
    live_collection,
    may_write,
    outcome_messages,
)
from curation.views.url_state import follow_url, write_followed
from curation.wording import plural

SHOWN_ROWS = 500
WHOLE_CHANGES = 50  # of a bulk action's files, drawn whole; the rest are in its table and `curation history`
UNDO_SUMMARY_KEY = "_history_undo_summary"
ARTICLE_KEY, EDITORS_KEY, FOLLOW_KEY = "history_article", "history_editors", "history_follow_filters"
# Room for the words an editor reads (the article's title, what was undone); the ids and UTC come last.
COLUMN_WIDTHS = {
    name: st.column_config.Column(width=width)
    for name, width in (("change", "large"), ("article", "large"), ("undone", "medium"), ("undo of", "medium"))
}


def undo_one(board: Dashboard, change: str) -> None:
    """Undo the change the editor was shown, by its id (a newer change by someone else is never the one undone)."""
    if not may_write(board, "undone"):
        return
    # Through the shared collection, like a tick: the undone row is swapped in, nothing is reloaded.
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


def render_history_filters(board: Dashboard, history: AuditHistory) -> tuple[HistoryFilter, str]:
    """The article, editors and follow-the-sidebar choices (kept in the URL), as a filter and a sentence."""
    entries = history.entries
    titles = board.collection.frame["title"]
    newest_first = list(dict.fromkeys(entry.id for entry in reversed(entries)))
    follow_url(ARTICLE_KEY, "article", lambda values: values[-1], None)
    follow_url(EDITORS_KEY, "editor", lambda values: list(dict.fromkeys(values)), [])
    chosen = st.session_state.get(ARTICLE_KEY)
    if chosen is not None and chosen not in newest_first:
        newest_first.insert(0, chosen)  # a link to an article with no change yet: its (empty) history
    editors = sorted({entry.editor for entry in entries}, key=str.casefold)
    st.session_state[EDITORS_KEY] = [name for name in st.session_state.get(EDITORS_KEY, []) if name in editors]
    article_column, editor_column = st.columns([3, 2])
    article = article_column.selectbox(
        "Article", [None, *newest_first], key=ARTICLE_KEY, placeholder="Every article",
        format_func=lambda doc_id: "Every article" if doc_id is None else _article_choice(doc_id, titles),
    )  # fmt: skip
    chosen_editors = editor_column.multiselect("Editor", editors, key=EDITORS_KEY, placeholder="Every editor")
    write_followed("article", [article] if article is not None else [])
    write_followed("editor", list(chosen_editors))
    by = f" by {', '.join(chosen_editors)}" if chosen_editors else ""
    if article is not None:
        return HistoryFilter(frozenset([article]), frozenset(chosen_editors)), (
            f"The history of {article_title(article, titles)} ({article}){by}"
        )
    if board.filters.is_empty() or not st.toggle(
        f"Only the {board.shown_count:,} articles the filters show", value=True, key=FOLLOW_KEY,
        help="Off: the changes of every article, whatever the sidebar's filters",
    ):  # fmt: skip
        return HistoryFilter(None, frozenset(chosen_editors)), f"The changes of every article{by}"
    shown = frozenset(board.collection.frame.index[board.positions])
    return HistoryFilter(shown, frozenset(chosen_editors)), (
        f"The changes of the {board.shown_count:,} articles shown — {board.filters.describe()}{by}"
    )


def _article_choice(doc_id: str, titles: pd.Series) -> str:
    title = article_title(doc_id, titles)
    return title if title == doc_id else f"{title} · {doc_id}"


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
    kept, said = render_history_filters(board, history)
    positions = kept.positions(history.entries)
    st.markdown(f"{escape_markdown(said)}: **{plural(len(positions), 'change')}** of {len(history.entries):,}.")
    if not positions:
        st.info("No changes to list. Choose every article or every editor above to see more.")
        return
    # The browser's zone (absent outside a browser, e.g. in AppTest: UTC); the exact UTC time is the last column.
    clock = browser_clock()
    words = HistoryWords(history, titles, clock)
    # Whether an entry took effect may need its file read: judge only the rows shown.
    rows = history_rows(history.entries, SHOWN_ROWS, positions)
    shown_changes = sum(len(row.positions) for row in rows)
    if shown_changes < len(positions):
        st.caption(
            f"The newest {len(rows):,} rows ({shown_changes:,} of {len(positions):,} changes); "
            "`curation history` lists all."
        )
    st.caption(f"Times in {clock.zone_name()}, this browser's time zone; the UTC column has the exact time.")
    table = pd.DataFrame([words.row(row) for row in rows], columns=list(COLUMNS))
    st.dataframe(table, hide_index=True, key="history_table", column_config=COLUMN_WIDTHS)
    writable = board.can_edit
    # Newest first, and bounded: whether a change can be undone may need its file read.
    listed = sorted((position for row in rows for position in row.positions), reverse=True)[:SHOWN_ROWS]
    can_undo = [position for position in listed if history.can_undo(position)]
    undoable = {history.entries[position].change for position in can_undo}
    newest = history.entries[can_undo[0]] if can_undo else None
    st.button(
        "Undo the last change" if kept == HistoryFilter() else "Undo the last change listed", key="undo_last",
        on_click=undo_one, args=(board, newest.change if newest else ""), disabled=not (writable and newest),
        icon=":material/undo:", help=words.change_label(newest) if newest else "Nothing listed is left to undo",
    )  # fmt: skip
    render_bulk_actions(board, words, rows)
    render_one_change(board, words, [history.entries[position] for position in listed], undoable)


def render_bulk_actions(board: Dashboard, words: HistoryWords, rows: list) -> None:
    """The bulk actions listed, each whole: its undo reverts every change of it, also those of articles the
    filters do not show, so the choice, its files and the button say all of them."""
    listed = {row.batch: len(row.positions) for row in rows if row.batch is not None}
    if not listed:
        return
    bulk = {batch: HistoryRow(tuple(words.history.batch_positions(batch)), batch) for batch in listed}
    st.subheader("Bulk actions")
    choice = st.selectbox(
        "Bulk action", list(bulk), key="batch_choice", format_func=lambda batch: words.batch_label(bulk[batch]),
    )  # fmt: skip
    chosen = bulk[choice]
    hidden = len(chosen.positions) - listed[choice]
    if hidden:
        st.caption(
            f"{plural(hidden, 'change')} of this action {'is' if hidden == 1 else 'are'} not in the list above (the "
            "articles the filters do not show). They are below, and its undo reverts them too."
        )
    files = pd.DataFrame(words.file_rows(chosen), columns=list(COLUMNS))
    st.dataframe(files, hide_index=True, key="batch_table", column_config=COLUMN_WIDTHS)
    entries = words.entries(chosen)
    with st.expander(f"Each change whole ({plural(len(entries), 'file')})"):
        for entry in entries[:WHOLE_CHANGES]:
            st.markdown(f"**{escape_markdown(words.title(entry.id))}** · {escape_markdown(entry.id)}")
            st.code(change_lines(entry), language="diff", wrap_lines=True)
        if len(entries) > WHOLE_CHANGES:
            st.caption(f"The first {WHOLE_CHANGES} of {len(entries):,}; `curation history --json` has every one.")
    undone, done = words.undone_count(chosen)
    left = done - undone
    st.button(
        "Undo this bulk action" if left else ("Undone already" if done else "Nothing to undo"), key="undo_batch",
        on_click=undo_chosen_batch, args=(board,), disabled=not (board.can_edit and left), icon=":material/undo:",
        help=f"Reverts its {left:,} changes not undone yet; each file only if it is still as this action left it",
    )  # fmt: skip


def render_one_change(board: Dashboard, words: HistoryWords, listed: list[AuditEntry], undoable: set[str]) -> None:
    """Any listed change, whole: the lines of the file before and after; undone from here if it still can be."""
    st.subheader("One change")
    by_change = {entry.change: entry for entry in listed}
    choice = st.selectbox(
        "Change", list(by_change), key="undo_choice", format_func=lambda change: words.change_label(by_change[change])
    )
    entry = by_change[choice]
    st.code(change_lines(entry), language="diff", wrap_lines=True)
    st.caption(
        f"{escape_markdown(entry.id)} · change {entry.change}" + (f" · batch {entry.batch}" if entry.batch else "")
    )
    if entry.change in undoable:
        label = "Undo this change"
    elif entry.undoes:
        label = "An undo: make the change again instead"
    else:
        label = "This change is undone already" if words.history.is_undone(entry) else "This change did not complete"
    st.button(
        label, key="undo_entry", on_click=undo_one, args=(board, entry.change),
        disabled=not (board.can_edit and entry.change in undoable), icon=":material/undo:",
    )  # fmt: skip


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
