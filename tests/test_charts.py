"""Chart builders, checked through the Vega-Lite spec they produce."""

from __future__ import annotations

import pytest

from curation.loading.collection import load_collection
from curation.query import charts


@pytest.fixture(scope="module")
def frame(seeds_copy):
    return load_collection(seeds_copy).frame


def dataset(chart) -> list[dict]:
    spec = chart.to_dict()
    (values,) = spec["datasets"].values()
    return values


def test_histogram_counts_every_scored_article_by_state(frame):
    chart = charts.score_histogram(frame, "quality")
    rows = dataset(chart)
    assert sum(row["articles"] for row in rows) == frame["quality"].notna().sum()
    published = sum(row["articles"] for row in rows if row["state"] == "published")
    assert published == int(frame.loc[frame["quality"].notna(), "published"].sum())
    assert {row["start"] for row in rows} <= set(range(0, 100, 10))
    spec = chart.to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["published", "unpublished"]


def test_a_score_of_100_falls_in_the_last_bin(frame):
    top = frame.head(3).copy()
    top["quality"] = [100, 90, 0]
    rows = dataset(charts.score_histogram(top, "quality"))
    assert {row["start"] for row in rows} == {0, 90}  # no bin of its own at 100
    assert sum(row["articles"] for row in rows if row["start"] == 90) == 2


def test_quality_heat_is_a_scatter_with_a_region_selection(frame):
    spec = charts.quality_heat_chart(frame).to_dict()
    assert spec["mark"]["type"] == "circle"
    assert [param["name"] for param in spec["params"]] == [charts.REGION]
    assert len(dataset(charts.quality_heat_chart(frame))) == len(frame.dropna(subset=["quality", "heat"]))


def test_quality_heat_bins_when_there_are_many_points(frame):
    chart = charts.quality_heat_chart(frame, scatter_limit=100)
    spec = chart.to_dict()
    rows = dataset(chart)
    assert spec["mark"]["type"] == "rect"
    assert len(rows) <= 400  # 20 x 20 cells at most, whatever the collection size
    assert sum(row["articles"] for row in rows) == len(frame.dropna(subset=["quality", "heat"]))
    assert [param["name"] for param in spec["params"]] == [charts.REGION]


def test_articles_over_time_counts_by_month(frame):
    rows = dataset(charts.articles_over_time(frame))
    assert sum(row["articles"] for row in rows) == frame["publishedDateTime"].notna().sum()
    assert len({row["month"] for row in rows}) == frame["publishedDateTime"].dt.strftime("%Y-%m").nunique()


@pytest.mark.parametrize("column", ["category", "provider"])
def test_top_values_are_clickable_bars(frame, column):
    chart = charts.top_values(frame, column, limit=5)
    rows = dataset(chart)
    assert [row[column] for row in rows] == list(frame[column].value_counts().head(5).index)
    spec = chart.to_dict()
    assert spec["params"][0]["name"] == charts.PICK
    assert spec["params"][0]["select"]["fields"] == [column]


def test_empty_frames_still_make_charts(frame):
    empty = frame.iloc[0:0]
    for chart in (
        charts.score_histogram(empty, "heat"),
        charts.quality_heat_chart(empty),
        charts.articles_over_time(empty),
        charts.top_values(empty, "category"),
    ):
        assert chart.to_dict()["mark"]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            {"region": {"quality": [40.3, 79.8], "heat": [10, 20]}},
            {"min_quality": 41, "max_quality": 79, "min_heat": 10, "max_heat": 20},
        ),
        (
            {"region": {"quality": [90, 60], "heat": [-5, 130]}},
            {"min_quality": 60, "max_quality": 90, "min_heat": 0, "max_heat": 100},
        ),
        ({"region": {}}, None),
        ({}, None),
        ({"region": {"quality": [1, 2]}}, None),
    ],
)
def test_a_dragged_region_becomes_whole_number_ranges(selection, expected):
    assert charts.region_to_ranges(selection) == expected


def test_a_clicked_bar_becomes_the_picked_values():
    assert charts.picked_values({"pick": [{"category": "news"}, {"category": "sport"}]}, "category") == [
        "news",
        "sport",
    ]
    assert charts.picked_values({"pick": []}, "category") == []
    assert charts.picked_values({"pick": {"vlPoint": 1}}, "category") == []
    assert charts.picked_values({}, "provider") == []
