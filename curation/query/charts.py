"""Frame -> altair.Chart builders (no Streamlit here), and chart selections -> filter changes.

Charts aggregate in pandas first, so the browser gets at most a few hundred
rows however large the collection is; only the quality x heat chart sends
points, and only while there are few enough of them.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from curation.wording import published_label

SCATTER_LIMIT = 3000  # above this the quality x heat chart becomes a binned heat-map
SCORE_BIN = 10
REGION = "region"  # the quality x heat interval selection
PICK = "pick"  # the point selection on the bar charts
STATE_LABELS = {value: published_label(value) for value in (True, False)}
STATE_COLORS = alt.Scale(domain=list(STATE_LABELS.values()), range=["#2e7d32", "#9e9e9e"])


def _state(frame: pd.DataFrame) -> pd.Series:
    return frame["published"].map(STATE_LABELS)


def _state_color() -> alt.Color:
    return alt.Color("state:N", scale=STATE_COLORS, title=None, legend=alt.Legend(orient="top"))


def score_histogram(frame: pd.DataFrame, field: str) -> alt.Chart:
    """Counts of quality or heat in bins of 10, stacked by published state."""
    scores = frame[field].dropna().astype(int)
    bins = (scores.clip(upper=99) // SCORE_BIN) * SCORE_BIN
    counts = (
        pd.DataFrame({"start": bins, "state": _state(frame.loc[scores.index])})
        .groupby(["start", "state"], as_index=False)
        .size()
        .rename(columns={"size": "articles"})
    )
    counts["end"] = counts["start"] + SCORE_BIN
    return (
        alt.Chart(counts, title=f"{field.capitalize()} distribution")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", bin="binned", scale=alt.Scale(domain=[0, 100]), title=field),
            x2="end:Q",
            y=alt.Y("articles:Q", stack=True, title="articles"),
            color=_state_color(),
            tooltip=["start:Q", "end:Q", "state:N", "articles:Q"],
        )
    )


def quality_heat_chart(frame: pd.DataFrame, scatter_limit: int = SCATTER_LIMIT) -> alt.Chart:
    """Quality against heat; drag a box to select a region (selection `region`)."""
    scored = frame.dropna(subset=["quality", "heat"])
    region = alt.selection_interval(name=REGION, encodings=["x", "y"])
    x = alt.X("quality:Q", scale=alt.Scale(domain=[0, 100]), title="quality")
    y = alt.Y("heat:Q", scale=alt.Scale(domain=[0, 100]), title="heat")
    if len(scored) <= scatter_limit:
        points = pd.DataFrame(
            {
                "quality": scored["quality"].astype(int),
                "heat": scored["heat"].astype(int),
                "state": _state(scored),
                "title": scored["title"],
            }
        )
        return (
            alt.Chart(points, title="Quality × heat", height=360)
            .mark_circle(size=40, opacity=0.7)
            .encode(x=x, y=y, color=_state_color(), tooltip=["title:N", "quality:Q", "heat:Q", "state:N"])
            .add_params(region)
        )
    size = 5
    cells = (
        pd.DataFrame(
            {
                "quality": (scored["quality"].astype(int).clip(upper=99) // size) * size,
                "heat": (scored["heat"].astype(int).clip(upper=99) // size) * size,
            }
        )
        .groupby(["quality", "heat"], as_index=False)
        .size()
        .rename(columns={"size": "articles"})
    )
    cells["quality_end"] = cells["quality"] + size
    cells["heat_end"] = cells["heat"] + size
    return (
        alt.Chart(cells, title=f"Quality × heat ({len(scored):,} articles, binned)", height=360)
        .mark_rect()
        .encode(
            x=x,
            x2="quality_end:Q",
            y=y,
            y2="heat_end:Q",
            color=alt.Color("articles:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["quality:Q", "heat:Q", "articles:Q"],
        )
        .add_params(region)
    )


def articles_over_time(frame: pd.DataFrame) -> alt.Chart:
    """Articles per month, stacked by published state."""
    dated = frame.dropna(subset=["publishedDateTime"])
    months = dated["publishedDateTime"].dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()
    counts = (
        pd.DataFrame({"month": months, "state": _state(dated)})
        .groupby(["month", "state"], as_index=False)
        .size()
        .rename(columns={"size": "articles"})
    )
    return (
        alt.Chart(counts, title="Articles per month")
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title="month"),
            y=alt.Y("articles:Q", stack=True),
            color=_state_color(),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "state:N", "articles:Q"],
        )
    )


def top_values(frame: pd.DataFrame, column: str, limit: int = 12) -> alt.Chart:
    """The most common values of a column as bars; click one to pick it (selection `pick`)."""
    values = frame[column][frame[column] != ""]
    counts = values.value_counts().head(limit).rename_axis(column).reset_index(name="articles")
    pick = alt.selection_point(name=PICK, fields=[column])
    return (
        alt.Chart(counts, title=f"Top {column} values" if column != "provider" else "Top providers")
        .mark_bar()
        .encode(
            x=alt.X("articles:Q"),
            y=alt.Y(f"{column}:N", sort="-x", title=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
            tooltip=[f"{column}:N", "articles:Q"],
        )
        .add_params(pick)
    )


def region_to_ranges(selection: dict[str, Any]) -> dict[str, int] | None:
    """An interval selection {quality: [a, b], heat: [c, d]} -> whole-number filter bounds."""
    region = selection.get(REGION) or {}
    quality, heat = region.get("quality"), region.get("heat")
    if not (quality and heat and len(quality) == 2 and len(heat) == 2):
        return None

    def bounds(pair: list[float]) -> tuple[int, int]:
        low, high = sorted(float(value) for value in pair)
        return max(0, math.ceil(low)), min(100, math.floor(high))

    (min_quality, max_quality), (min_heat, max_heat) = bounds(quality), bounds(heat)
    return {"min_quality": min_quality, "max_quality": max_quality, "min_heat": min_heat, "max_heat": max_heat}


def picked_values(selection: dict[str, Any], column: str) -> list[str]:
    """A point selection [{column: value}, ...] -> the picked values."""
    points = selection.get(PICK) or []
    if not isinstance(points, list):
        return []
    return [str(point[column]) for point in points if isinstance(point, dict) and point.get(column) is not None]
