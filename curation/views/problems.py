"""Problems: every file that could not be loaded, grouped by kind, and likely duplicates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.presentation import problem_report, problems_by_kind
from curation.safety import escape_markdown
from curation.views.session import dashboard
from curation.views.shell import render_header


def problem_table(problems) -> pd.DataFrame:
    return pd.DataFrame(
        [(problem.path, problem.line, problem.message) for problem in problems], columns=["path", "line", "message"]
    ).astype({"line": "Int64"})


board = dashboard()
render_header(board, "Problems")
collection = board.collection
if not collection.problems:
    st.success("Every document file in the folder loaded.")
for kind, problems in problems_by_kind(collection.problems).items():
    st.subheader(f"{escape_markdown(kind)} ({len(problems)})")
    st.dataframe(problem_table(problems), hide_index=True, key=f"problems_{kind}")
if collection.warnings:
    st.subheader(f"Likely duplicates ({len(collection.warnings)})")
    st.dataframe(problem_table(collection.warnings), hide_index=True, key="problems_duplicates")
st.subheader("Report to send")
st.caption("Copy this and send it to whoever fixes the files.")
st.code(problem_report(collection.folder, collection.problems, collection.warnings), language=None)
