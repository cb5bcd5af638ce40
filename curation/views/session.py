"""Per-session dashboard state: the cached collection, the editor, messages and writes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from curation.collection import Collection, folder_fingerprint, load_collection
from curation.errors import CurationError
from curation.filters import Filters
from curation.publish import Outcome, set_published_many

REPO = Path(__file__).resolve().parent.parent.parent
DASHBOARD_KEY = "_dashboard"
FLASH_KEY = "_flash"


@dataclass(frozen=True)
class Dashboard:
    """What every page of one run shares: the collection, the filter and what it shows."""

    collection: Collection
    filters: Filters
    shown: pd.DataFrame
    editor: str

    @property
    def folder(self) -> Path:
        return self.collection.folder


def docs_folder() -> Path:
    """$CURATION_DOCS, else the seeds/ folder beside app.py."""
    configured = os.environ.get("CURATION_DOCS")
    return Path(configured) if configured else REPO / "seeds"


@st.cache_resource(max_entries=4, show_spinner="Loading articles…")
def _collection_for(folder: str, fingerprint: str) -> Collection:
    # Shared by every session and never mutated: filters return new frames.
    return load_collection(folder)


def current_collection(folder: Path) -> Collection:
    """The folder's collection, reloaded when any file in it changed."""
    return _collection_for(str(folder), folder_fingerprint(folder))


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


def write_published(
    folder: Path, doc_ids: list[str], value: bool, expected_shas: dict[str, str], editor: str
) -> list[Outcome]:
    """Set published through the library's safe path and flash what happened."""
    try:
        outcomes = set_published_many(folder, doc_ids, value, expected_shas=expected_shas, editor=editor)
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
