"""One Filters value serves every front end: it applies itself and describes itself.

>>> Filters(published="unpublished", categories=("news",), min_quality=60).describe()
'unpublished · category news · quality ≥ 60'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

PUBLISHED_STATES = ("all", "published", "unpublished")
SORT_COLUMNS = (
    "id", "title", "category", "type", "provider", "domain", "publishedDateTime",
    "quality", "heat", "published", "images", "related",
)  # fmt: skip
SEARCHED_COLUMNS = ("title", "excerpt", "provider")


class FilterError(ValueError):
    """A filter value that cannot be applied, e.g. an unknown sort column."""


@dataclass(frozen=True)
class Filters:
    """What an editor asked to see, and in which order."""

    search: str = ""
    categories: tuple[str, ...] = ()
    type: str = ""
    providers: tuple[str, ...] = ()  # a provider's name or its domain
    topics: tuple[str, ...] = ()
    published: str = "all"
    min_quality: int | None = None
    max_quality: int | None = None
    min_heat: int | None = None
    max_heat: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    has_image: bool = False
    sort: str = "id"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.published not in PUBLISHED_STATES:
            raise FilterError(f"published must be one of {', '.join(PUBLISHED_STATES)}")
        if self.sort not in SORT_COLUMNS:
            raise FilterError(f"cannot sort by {self.sort!r}; choose one of {', '.join(SORT_COLUMNS)}")

    def is_empty(self) -> bool:
        """True when nothing is filtered out (the sort may still be set)."""
        unfiltered = Filters(sort=self.sort, descending=self.descending)
        return self == unfiltered

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The matching rows of the frame, in the requested order."""
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index()  # the loader's frames are in id order already
        return frame.take(self.positions(frame))

    def positions(self, frame: pd.DataFrame) -> np.ndarray:
        """Row positions of the matching rows in the requested order; ties keep the frame's
        (id) order. Cheaper than apply() when only a page of rows is needed."""
        matching = np.flatnonzero(self.matches(frame).to_numpy())
        if self.sort == "id":
            return matching[::-1] if self.descending else matching
        values = frame[self.sort].iloc[matching].reset_index(drop=True)
        order = values.sort_values(ascending=not self.descending, na_position="last", kind="stable").index
        return matching[order.to_numpy()]

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """True for each row the filters keep."""
        keep = pd.Series(True, index=frame.index)
        if self.search.strip():
            needle = self.search.strip()
            found = pd.Series(False, index=frame.index)
            for column in SEARCHED_COLUMNS:
                found |= frame[column].str.contains(needle, case=False, regex=False)
            keep &= found
        if self.categories:
            keep &= _folded(frame["category"]).isin(_fold_all(self.categories))
        if self.type.strip():
            keep &= _folded(frame["type"]) == self.type.strip().casefold()
        if self.providers:
            wanted = _fold_all(self.providers)
            keep &= _folded(frame["provider"]).isin(wanted) | _folded(frame["domain"]).isin(wanted)
        if self.topics:
            wanted = set(_fold_all(self.topics))
            keep &= frame["topics"].map(lambda topics: any(t.casefold() in wanted for t in topics)).astype(bool)
        if self.published != "all":
            keep &= frame["published"] == (self.published == "published")
        keep &= _in_range(frame["quality"], self.min_quality, self.max_quality)
        keep &= _in_range(frame["heat"], self.min_heat, self.max_heat)
        if self.since is not None:
            keep &= frame["publishedDateTime"] >= _utc_midnight(self.since)
        if self.until is not None:
            keep &= frame["publishedDateTime"] < _utc_midnight(self.until + dt.timedelta(days=1))
        if self.has_image:
            keep &= frame["image"] != ""
        return keep.fillna(False).astype(bool)

    def describe(self) -> str:
        """The filter as one sentence, e.g. 'unpublished · category news · quality ≥ 60'."""
        parts: list[str] = []
        if self.published != "all":
            parts.append(self.published)
        if self.search.strip():
            parts.append(f'matching "{self.search.strip()}"')
        for label, values in (("category", self.categories), ("provider", self.providers), ("topic", self.topics)):
            if values:
                parts.append(f"{label} {' or '.join(values)}")
        if self.type.strip():
            parts.append(f"type {self.type.strip()}")
        parts += _describe_range("quality", self.min_quality, self.max_quality)
        parts += _describe_range("heat", self.min_heat, self.max_heat)
        if self.since and self.until:
            parts.append(f"from {self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}")
        elif self.since:
            parts.append(f"since {self.since:%Y-%m-%d}")
        elif self.until:
            parts.append(f"until {self.until:%Y-%m-%d}")
        if self.has_image:
            parts.append("with an image")
        return " · ".join(parts) if parts else "all articles"

    def slug(self) -> str:
        """The description made safe for a file name."""
        if self.is_empty():
            return "all"
        text = self.describe().replace("≥", "min").replace("≤", "max")
        return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:80].rstrip("-")


def _folded(column: pd.Series) -> pd.Series:
    return column.str.casefold()


def _fold_all(values: tuple[str, ...]) -> list[str]:
    return [value.strip().casefold() for value in values]


def _in_range(column: pd.Series, low: int | None, high: int | None) -> pd.Series:
    # A missing score is outside any range the editor set, inside when none is set.
    keep = pd.Series(True, index=column.index)
    if low is not None:
        keep &= (column >= low).fillna(False)
    if high is not None:
        keep &= (column <= high).fillna(False)
    return keep


def _utc_midnight(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day.year, day.month, day.day, tz="UTC")


def _describe_range(label: str, low: int | None, high: int | None) -> list[str]:
    if low is not None and high is not None:
        return [f"{label} {low}–{high}"]
    if low is not None:
        return [f"{label} ≥ {low}"]
    if high is not None:
        return [f"{label} ≤ {high}"]
    return []
