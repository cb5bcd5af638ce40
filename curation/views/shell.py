"""The header every page shows: counts, the filter's sentence and any messages."""

from __future__ import annotations

import streamlit as st

from curation.views.session import Dashboard, show_flashes
from curation.wording import plural


def render_header(dashboard: Dashboard, title: str) -> None:
    collection = dashboard.collection
    st.title(title)
    problems = len(collection.problems)
    counts = (
        f"{plural(len(collection.frame), 'article')} · {dashboard.shown_count:,} shown · {plural(problems, 'problem')}"
    )
    st.markdown(f"**{counts}** — {dashboard.filters.describe()}")
    show_flashes()
