"""Each page is a module with `render(board)`: importing it runs nothing, and its pieces can be tested alone."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

PAGES = ("articles", "triage", "charts", "gallery", "problems", "history")


@pytest.mark.parametrize("name", PAGES)
def test_a_page_imports_without_drawing_anything(name):
    module = importlib.import_module(f"curation.views.{name}")
    assert callable(module.render)


def test_each_column_of_a_row_is_plain_text():
    """The table's columns as the component gets them: text as it is (no markdown escapes), – for nothing."""
    from curation.views.article_table import COLUMNS

    row = pd.Series(
        {"provider": "Reuters", "domain": "reuters.com", "category": "news",
         "publishedDateTime": pd.Timestamp("2024-03-01T10:00:00Z"), "quality": 80.0, "heat": float("nan"),
         "topics": ["AI", "Climate_change"]},
        name="a_1.txt",
    )  # fmt: skip
    assert {key: column.text(row) for key, column in COLUMNS.items()} == {
        "provider": "Reuters", "domain": "reuters.com", "category": "news", "date": "2024-03-01",
        "quality": "80", "heat": None, "topics": "AI, Climate_change", "file": "a_1.txt",
    }  # fmt: skip
