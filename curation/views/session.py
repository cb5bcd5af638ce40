"""Per-session dashboard state: the cached collection, the editor, messages and writes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from curation.collection import Collection, folder_fingerprint, load_collection, quick_fingerprint
from curation.errors import CurationError
from curation.filters import Filters
from curation.publish import Outcome, set_published_many

REPO = Path(__file__).resolve().parent.parent.parent
DASHBOARD_KEY = "_dashboard"
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
    def folder(self) -> Path:
        return self.collection.folder

    @property
    def shown_count(self) -> int:
        return len(self.positions)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """Every shown row with every column (for export and bulk actions, when asked for)."""
        return self.collection.frame.take(self.positions)

    @cached_property
    def shown_ids(self) -> pd.Index:
        return self.collection.frame.index[self.positions]

    def shown_columns(self, columns: list[str]) -> pd.DataFrame:
        """Some columns of every shown row (not kept: charts need few columns, every rerun)."""
        return self.collection.frame[columns].take(self.positions)

    def shown_rows(self, start: int, stop: int) -> pd.DataFrame:
        """One page of the shown rows."""
        return self.collection.frame.take(self.positions[start:stop])


def docs_folder() -> Path:
    """$CURATION_DOCS, else the seeds/ folder beside app.py."""
    configured = os.environ.get("CURATION_DOCS")
    return Path(configured) if configured else REPO / "seeds"


FULL_CHECK_SECONDS = 30


@st.cache_resource(max_entries=4, show_spinner=False)
def _collection_for(folder: str, quick: str, full: str) -> Collection:
    # Shared by every session and never mutated: filters return new frames.
    bar = st.empty()

    def show_progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Reading {done:,} of {total:,} new or changed documents…")

    with st.spinner("Loading articles…"):
        collection = load_collection(folder, progress=show_progress)
    bar.empty()
    return collection


@st.cache_data(ttl=FULL_CHECK_SECONDS, show_spinner=False)
def _full_fingerprint(folder: str) -> str:
    return folder_fingerprint(folder)


def current_collection(folder: Path) -> Collection:
    """The folder's collection, reloaded when a file in it changed.

    Every rerun compares the folders' mtimes (cheap: adds, deletes, renames and
    atomic saves, including ours, change them); the stat of every file, which
    also sees an edit written in place, is compared at most every 30 seconds.
    """
    return _collection_for(str(folder), quick_fingerprint(folder), _full_fingerprint(str(folder)))


def set_dashboard(dashboard: Dashboard) -> None:
    st.session_state[DASHBOARD_KEY] = dashboard


def dashboard() -> Dashboard:
    """The Dashboard that app.py built for this run."""
    return st.session_state[DASHBOARD_KEY]


def flash(kind: str, text: str) -> None:
    """Keep a message to show after the next rerun (kind: success, error, warning)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flashes() -> None:
    """Show and forget the kept messages: successes as toasts, problems in the page."""
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        if kind == "success":
            st.toast(text, icon="✅")
        elif kind == "error":
            st.error(text, icon="⚠️")
        else:
            st.warning(text)


def may_write(board: Dashboard, what: str) -> bool:
    """Whether this session may write; if not, say why (the controls are disabled, this guards forged requests)."""
    if not board.can_edit:
        flash("error", f"Nothing was {what}: {board.why_not}.")
    return board.can_edit


def write_published(board: Dashboard, doc_ids: list[str], value: bool, expected_shas: dict[str, str]) -> list[Outcome]:
    """Set published through the library's safe path and flash what happened."""
    if not may_write(board, "written"):
        return []
    try:
        outcomes = set_published_many(board.folder, doc_ids, value, expected_shas=expected_shas, editor=board.editor)
    except CurationError as error:  # e.g. read-only mode
        flash("error", str(error))
        return []
    flash_outcomes(outcomes, "Published" if value else "Unpublished")
    return outcomes


def flash_outcomes(outcomes: list[Outcome], verb: str) -> None:
    changed = [outcome for outcome in outcomes if outcome.status == "changed"]
    if len(changed) == 1:
        flash("success", f"{verb} {changed[0].id}")
    elif changed:
        flash("success", f"{verb} {len(changed)} articles")
    for outcome in outcomes:
        if outcome.status == "conflict":
            flash("error", f"Conflict, nothing written: {outcome.message}. The table now shows what is on disk.")
        elif outcome.status == "refused":
            flash("error", f"Refused: {outcome.message}")
