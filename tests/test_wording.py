"""The words the command line, History and the charts share."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from curation.audit import new_entry
from curation.editing.history_text import describe_change
from curation.query import charts
from curation.wording import day_text, document_time_text, plural, published_label


@pytest.mark.parametrize(("count", "text"), [(1, "1 document"), (2, "2 documents"), (1234, "1,234 documents")])
def test_plural(count, text):
    assert plural(count, "document") == text


@pytest.mark.parametrize(("value", "label"), [(True, "published"), (False, "unpublished"), (None, "unpublished")])
def test_published_label(value, label):
    assert published_label(value) == label


def test_history_and_the_charts_name_the_published_state_alike():
    """History's change, the CLI's (its arrow is '->') and a chart's colour legend use the same two words."""
    entry = new_entry(id="a.txt", editor="Ann", old=True, new=False, sha_before="0" * 64, sha_after="1" * 64)
    assert describe_change(entry, arrow="->") == f"{published_label(True)} -> {published_label(False)}"
    frame = pd.DataFrame(
        {"quality": [10, 80], "published": [True, False]}, index=pd.Index(["a.txt", "b.txt"], name="id")
    )
    spec = charts.score_histogram(frame, "quality").to_dict()
    (rows,) = spec["datasets"].values()
    assert {row["state"] for row in rows} == set(spec["encoding"]["color"]["scale"]["domain"])
    assert spec["encoding"]["color"]["scale"]["domain"] == [published_label(True), published_label(False)]


@pytest.mark.parametrize(
    ("when", "day", "moment"),
    [
        (dt.datetime(1, 1, 1, 5, 6, 7, tzinfo=dt.UTC), "0001-01-01", "0001-01-01T05:06:07Z"),
        (pd.Timestamp("0999-03-04T00:00:09Z").as_unit("s"), "0999-03-04", "0999-03-04T00:00:09Z"),
        (pd.Timestamp("2024-05-06T07:08:09Z"), "2024-05-06", "2024-05-06T07:08:09Z"),
    ],
)
def test_days_and_moments_read_with_four_digit_years(when, day, moment):
    assert day_text(when) == day_text(when.date()) == day
    assert document_time_text(when) == moment
