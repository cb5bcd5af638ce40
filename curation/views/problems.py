"""Problems: every file that could not be loaded, under a heading per kind, and likely duplicates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.problems import kind_heading, problem_report, problems_by_kind
from curation.safe_markdown import escape_markdown
from curation.views.layout import render_header
from curation.views.session import Dashboard, dashboard


def problem_table(problems) -> pd.DataFrame:
    return pd.DataFrame(
        [(problem.path, problem.line, problem.message) for problem in problems], columns=["path", "line", "message"]
    ).astype({"line": "Int64"})


def render_kind(kind: str, problems, key: str) -> None:
    """A heading an editor reads, the kind's code under it in small type, then its files."""
    st.subheader(f"{escape_markdown(kind_heading(kind))} ({len(problems)})")
    st.caption(f"kind: {escape_markdown(kind)}")
    st.dataframe(problem_table(problems), hide_index=True, key=key)


def render(board: Dashboard) -> None:
    """The Problems page for this run's dashboard."""
    render_header(board, "Problems", link_problems=False)  # no link to the page itself
    collection = board.collection
    if not collection.problems:
        st.success("Every document file in the folder loaded.")
    for kind, problems in problems_by_kind(collection.problems).items():
        render_kind(kind, problems, f"problems_{kind}")
    for kind, warnings in problems_by_kind(collection.warnings).items():
        render_kind(kind, warnings, "problems_duplicates" if kind == "duplicate" else f"warnings_{kind}")
    st.subheader("Report to send")
    st.caption("Copy this and send it to whoever fixes the files.")
    st.code(problem_report(collection.location, collection.problems, collection.warnings), language=None)


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
