"""Per-session dashboard state: the cached collection, the editor, messages and writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.editing.publish import Change, Outcome, OutcomeStatus, set_published
from curation.errors import CurationError
from curation.live import LiveCollection, LiveObjects, open_live
from curation.loading.collection import Collection
from curation.query.filters import Filters
from curation.safe_markdown import escape_markdown
from curation.store import Location, default_docs_location

DASHBOARD_KEY = "_dashboard"
BULK_SUMMARY_KEY = "_bulk_summary"
FLASH_KEY = "_flash"


@dataclass(frozen=True)
class Dashboard:
    """What every page of one run shares: the collection, the filter and what it shows.

    The shown rows are kept as positions: a page of the table needs 50 rows,
    and copying every column of 100,000 would cost more than the whole rerun.
    """

    collection: Collection
    filters: Filters
    positions: np.ndarray
    editor: str  # what the audit log records for this session
    can_edit: bool = True
    why_not: str = ""  # why write controls are disabled, when they are

    @property
    def location(self) -> Path | str:
        return self.collection.location

    @property
    def shown_count(self) -> int:
        return len(self.positions)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """Every shown row with every column (for export and bulk actions, when asked for)."""
        return self.collection.frame.take(self.positions)

    @cached_property
    def _shown_mask(self) -> np.ndarray:
        shown = np.zeros(len(self.collection.frame), dtype=bool)
        shown[self.positions] = True
        return shown

    def shown_among(self, ids: Iterable[str]) -> set[str]:
        """Those of these ids that are shown rows: a few ids looked up, instead of taking every shown id (a
        copy of 1,000,000 ids at every run, docs/performance.md)."""
        ids = list(ids)
        at = self.collection.frame.index.get_indexer(ids) if ids else np.zeros(0, dtype=np.intp)
        return {
            doc_id for doc_id, position in zip(ids, at, strict=True) if position >= 0 and self._shown_mask[position]
        }

    def shown_columns(self, columns: list[str]) -> pd.DataFrame:
        """Some columns of every shown row (not kept: charts need few columns, every rerun)."""
        return self.collection.frame[columns].take(self.positions)

    def shown_rows(self, start: int, stop: int) -> pd.DataFrame:
        """One page of the shown rows."""
        return self.collection.frame.take(self.positions[start:stop])


@dataclass(frozen=True)
class BulkRequest:
    """A bulk publish or unpublish waiting for the editor's confirmation (the rows as the button saw them)."""

    value: bool
    scope: str  # "shown" or "selected"
    ids: tuple[str, ...]
    changing: tuple[str, ...]  # the ids whose published flag differs from value
    shas: dict[str, str]  # each id's sha then, so a file changed since is a conflict


@dataclass(frozen=True)
class RowSnapshot:
    """The rows of one page of the Articles table as they were when the view was opened.

    Kept in session state, so it lives here: a page script is run afresh each
    time and a class defined in it would be a new class on every run.
    """

    view: tuple[object, ...]  # what they were taken for: location, filters, page size, refreshes, page
    ids: tuple[str, ...]
    shas: tuple[str, ...]  # each row's sha then

    def changed(self, frame: pd.DataFrame) -> list[bool]:
        """Per row: whether its file changed (or went away) since the view was opened."""
        at = frame.index.get_indexer(list(self.ids))  # a lookup per row; reindex took the whole column
        current = [frame["sha256"].array[position] if position >= 0 else None for position in at]
        return [now is None or now != then for now, then in zip(current, self.shas, strict=True)]


def docs_location() -> Location:
    """$CURATION_DOCS (a folder or an `s3://bucket/prefix`), else seeds/ (curation.store.default_docs_location)."""
    return default_docs_location()


@st.cache_resource(max_entries=4, show_spinner=False)
def _live_for(location: str) -> LiveCollection | LiveObjects:
    # One per location and server process, shared by every session; it swaps in new versions itself.
    # A bucket is watched by a listing every few seconds off the request path (curation.live.objects).
    return open_live(location)


def live_collection(location: Location) -> LiveCollection | LiveObjects:
    return _live_for(str(location))


def current_collection(location: Location, slot: DeltaGenerator | None = None) -> Collection:
    """The collection of a folder or prefix, reloaded only when a document changed (curation.live).

    Progress of a load is shown in `slot`, a placeholder the page always draws,
    so the page's elements keep their places in runs that load and runs that do not.
    """
    area = slot if slot is not None else st.empty()
    bar = None

    def show_progress(done: int, total: int) -> None:
        nonlocal bar
        text = f"Reading {done:,} of {total:,} new or changed documents…"
        bar = area.progress(done / total, text=text) if bar is None else bar.progress(done / total, text=text)

    @contextmanager
    def loading() -> Iterator[None]:
        area.info("Loading articles…", icon="⏳")
        try:
            yield
        finally:
            area.empty()

    return live_collection(location).current(show_progress, loading)


def set_dashboard(dashboard: Dashboard) -> None:
    st.session_state[DASHBOARD_KEY] = dashboard


def dashboard() -> Dashboard:
    """The Dashboard that app.py built for this run."""
    return st.session_state[DASHBOARD_KEY]


def flash(kind: str, text: str) -> None:
    """Keep a message (markdown) for the page's header to show (kind: success, info, error, warning)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flashes() -> None:
    """Show and forget the kept messages: successes as toasts, problems in the page.

    The problems go into one container that is drawn on every run, so the
    elements after it keep their places (and a focused checkbox its focus).
    """
    box = st.container(key="flash_messages")
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        if kind == "success":
            st.toast(text, icon="✅")
        elif kind == "info":
            st.toast(text, icon="ℹ️")
        elif kind == "error":
            box.error(text, icon="⚠️")
        else:
            box.warning(text)


Announce = Callable[[str, str], None]  # (kind, markdown) -> shown somewhere


def may_write(board: Dashboard, what: str, announce: Announce | None = None) -> bool:
    """Whether this session may write; if not, say why (the controls are disabled, this guards forged requests)."""
    if not board.can_edit:
        (announce or flash)("error", f"Nothing was {what}: {board.why_not}.")
    return board.can_edit


def write_published(
    board: Dashboard,
    doc_ids: list[str],
    value: bool,
    expected_shas: dict[str, str],
    announce: Announce | None = None,
) -> list[Outcome]:
    """Set published through the library's safe path, swap the written rows into the shared collection
    (no reload), and announce what happened (by default: flash it for the page's header)."""
    location = board.location
    return write_changes(
        board, doc_ids, lambda doc_id, **options: set_published(location, doc_id, value, **options),
        expected_shas, "Published" if value else "Unpublished", announce,
    )  # fmt: skip


def write_changes(
    board: Dashboard,
    doc_ids: list[str],
    write_one: Callable[..., Change],
    expected_shas: Mapping[str, str],
    verb: str,
    announce: Announce | None = None,
) -> list[Outcome]:
    """Any write (`write_one(doc_id, expected_sha=, editor=, ...)` per id) through the shared collection,
    which swaps the written rows in, and one message per outcome naming the article."""
    announce = announce or flash
    if not may_write(board, "written", announce):
        return []
    try:
        outcomes = live_collection(board.location).write(
            doc_ids, write_one, expected_shas=expected_shas, editor=board.editor
        )
    except CurationError as error:  # e.g. read-only mode
        announce("error", escape_markdown(str(error)))
        return []
    for kind, text in outcome_messages(outcomes, verb, board.collection.frame["title"]):
        announce(kind, text)
    return outcomes


@dataclass(frozen=True)
class BulkSummary:
    """What a bulk action did, shown once above the table: counts and every id not written."""

    verb: str
    counts: dict[str, int]
    failures: list[tuple[str, str, str]]  # (id, status, message)


def keep_bulk_summary(verb: str, outcomes: list[Outcome]) -> None:
    """Remember a bulk action's outcomes for the next run to show."""
    statuses = [outcome.status for outcome in outcomes]
    st.session_state[BULK_SUMMARY_KEY] = BulkSummary(
        verb,
        {
            status: statuses.count(status)
            for status in (OutcomeStatus.CHANGED, OutcomeStatus.CONFLICT, OutcomeStatus.REFUSED)
        },
        [(outcome.id, str(outcome.status), outcome.message) for outcome in outcomes if outcome.failed],
    )


def article_name(doc_id: str, titles: Mapping[str, str] | pd.Series | None = None) -> str:
    """Markdown naming an article: its title, then its id in small type (both escaped)."""
    if titles is None:
        board = st.session_state.get(DASHBOARD_KEY)
        titles = board.collection.frame["title"] if board is not None else {}
    title = titles.get(doc_id) if doc_id in titles else None
    small_id = f":small[{escape_markdown(doc_id)}]"
    return f"{escape_markdown(str(title))} {small_id}" if title else small_id


def outcome_messages(
    outcomes: list[Outcome], verb: str, titles: Mapping[str, str] | pd.Series | None = None
) -> list[tuple[str, str]]:
    """(kind, markdown) per message: one success for the changes, an error naming each article not written."""
    messages = []
    changed = [outcome for outcome in outcomes if outcome.status == OutcomeStatus.CHANGED]
    if len(changed) == 1:
        messages.append(("success", f"{verb}: {article_name(changed[0].id, titles)}"))
    elif changed:
        messages.append(("success", f"{verb} {len(changed)} articles"))
    elif len(outcomes) == 1 and outcomes[0].status == OutcomeStatus.UNCHANGED:
        messages.append(("info", f"Already {verb.lower()}: {article_name(outcomes[0].id, titles)}"))
    for outcome in outcomes:
        name = article_name(outcome.id, titles)
        if outcome.status == OutcomeStatus.CONFLICT:
            messages.append(
                ("error", f"Conflict, nothing written: {name} changed on disk since you loaded it. "
                 "The page now shows what is on disk.")
            )  # fmt: skip
        elif outcome.status == OutcomeStatus.REFUSED:
            messages.append(("error", f"Refused: {name}: {escape_markdown(outcome.message)}"))
    return messages


def flash_outcomes(outcomes: list[Outcome], verb: str, titles: Mapping[str, str] | pd.Series | None = None) -> None:
    """Flash the outcomes' messages for the page's header."""
    for kind, text in outcome_messages(outcomes, verb, titles):
        flash(kind, text)
