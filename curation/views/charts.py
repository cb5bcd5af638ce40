"""Charts: quality and heat at a glance; drag or click a chart to filter the articles."""

from __future__ import annotations

import streamlit as st

from curation.query.charts import (
    PICK,
    REGION,
    articles_over_time,
    picked_values,
    quality_heat_chart,
    region_to_ranges,
    score_histogram,
    top_values,
)
from curation.views.layout import render_header
from curation.views.session import Dashboard, dashboard
from curation.views.sidebar import set_filter_values

CHART_COLUMNS = ["title", "quality", "heat", "published", "publishedDateTime", "category", "provider"]


def filter_to_region() -> None:
    """Chart callback: a dragged box becomes the quality and heat ranges."""
    ranges = region_to_ranges(st.session_state["chart_region"]["selection"])
    if ranges:
        set_filter_values(
            quality=(ranges["min_quality"], ranges["max_quality"]), heat=(ranges["min_heat"], ranges["max_heat"])
        )


def filter_to_pick(chart_key: str, column: str) -> None:
    """Chart callback: a clicked bar becomes the category or provider filter."""
    values = picked_values(st.session_state[chart_key]["selection"], column)
    if values:
        set_filter_values(**{column: values})


def render(board: Dashboard) -> None:
    """The Charts page for this run's dashboard (the charts' callbacks only set filter widgets)."""
    render_header(board, "Charts")
    shown = board.shown_columns(CHART_COLUMNS)
    if shown.empty:
        st.info("No articles match the filters. Loosen them in the sidebar.")
        return
    quality_column, heat_column = st.columns(2)
    quality_column.altair_chart(score_histogram(shown, "quality"), key="chart_quality")
    heat_column.altair_chart(score_histogram(shown, "heat"), key="chart_heat")
    st.caption("Drag a box on the chart below to filter the articles to that quality and heat.")
    st.altair_chart(quality_heat_chart(shown), key="chart_region", on_select=filter_to_region, selection_mode=REGION)
    st.altair_chart(articles_over_time(shown), key="chart_time")
    st.caption("Click a bar to filter to that category or provider.")
    category_column, provider_column = st.columns(2)
    category_column.altair_chart(
        top_values(shown, "category"), key="chart_category",
        on_select=lambda: filter_to_pick("chart_category", "category"), selection_mode=PICK,
    )  # fmt: skip
    provider_column.altair_chart(
        top_values(shown, "provider"), key="chart_provider",
        on_select=lambda: filter_to_pick("chart_provider", "provider"), selection_mode=PICK,
    )  # fmt: skip


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
