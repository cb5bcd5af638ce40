"""Each page is a module with `render(board)`: importing it runs nothing, and its pieces can be tested alone."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

PAGES = ("articles", "charts", "gallery", "problems", "history")


@pytest.mark.parametrize("name", PAGES)
def test_a_page_imports_without_drawing_anything(name):
    module = importlib.import_module(f"curation.views.{name}")
    assert callable(module.render)


def test_a_row_shows_the_details_the_editor_chose_in_a_fixed_order():
    from curation.views.articles import row_details

    row = pd.Series(
        {"provider": "Reuters", "domain": "reuters.com", "category": "news",
         "publishedDateTime": pd.Timestamp("2024-03-01T10:00:00Z"), "quality": 80.0, "heat": float("nan"),
         "topics": ["AI", "Climate_change"]},
        name="a_1.txt",
    )  # fmt: skip
    assert row_details(row) == "Reuters · news · 2024-03-01 · quality 80 · heat – · AI, Climate\\_change"
    assert row_details(row, ("file", "domain", "heat")) == "reuters\\.com · heat – · a\\_1\\.txt"
    assert row_details(row, ()) == ""
