"""One Filters value serves every front end: it applies itself and describes itself.

>>> Filters(published="unpublished", categories=("news",), min_quality=60).describe()
'unpublished · category news · quality ≥ 60'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import RequestError
from curation.wording import day_text

PUBLISHED_STATES = ("all", "published", "unpublished")
SORT_COLUMNS = (
    "id", "title", "category", "type", "provider", "domain", "publishedDateTime",
    "quality", "heat", "published", "images", "related",
)  # fmt: skip
SEARCHED_COLUMNS = ("title", "excerpt", "provider", "domain", "webUrl")
# The filter parts a facet narrows by: its counts come from the rows every *other* part keeps.
FACET_PARTS = ("category", "type", "provider", "domain", "topic")
TRUE_WORDS = ("true", "1", "yes", "on")


class FilterError(RequestError, ValueError):
    """A filter value that cannot be applied, e.g. an unknown sort column."""


@dataclass(frozen=True)
class Filters:
    """What an editor asked to see, and in which order."""

    search: str = ""
    categories: tuple[str, ...] = ()
    type: str = ""
    providers: tuple[str, ...] = ()  # a provider's name or its domain
    domains: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    published: str = "all"
    min_quality: int | None = None
    max_quality: int | None = None
    min_heat: int | None = None
    max_heat: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    has_image: bool = False
    duplicates_only: bool = False  # only articles that share a webUrl or originalUrl with another
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

    def positions(self, frame: pd.DataFrame, keep: np.ndarray | None = None) -> np.ndarray:
        """Row positions of the matching rows in the requested order; ties keep the frame's
        (id) order. Cheaper than apply() when only a page of rows is needed. `keep`, when given,
        is the match already computed (curation.query.facets.Selection)."""
        matching = np.flatnonzero(self.matches(frame).to_numpy() if keep is None else keep)
        if self.sort == "id":
            return matching[::-1] if self.descending else matching
        return matching[sort_order(frame[self.sort].iloc[matching], self.descending)]

    def positions_in(self, order: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """The kept rows' positions, given `order`: every row's position sorted as `sort_order` sorts them.
        A stable order of every row, filtered, is the stable order of the rows kept."""
        return order[keep[order]]

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """True for each row the filters keep."""
        keep = pd.Series(True, index=frame.index)
        for part in self.parts(frame).values():
            keep &= part
        return keep

    def parts(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        """Each active filter's own mask, by name (the facet names in FACET_PARTS among them)."""
        parts: dict[str, pd.Series] = {}
        if self.search.strip():
            needle = self.search.strip()
            found = pd.Series(False, index=frame.index)
            for column in SEARCHED_COLUMNS:
                found |= frame[column].str.contains(needle, case=False, regex=False)
            parts["search"] = found
        if self.categories:
            parts["category"] = _folded(frame["category"]).isin(_fold_all(self.categories))
        if self.type.strip():
            parts["type"] = _folded(frame["type"]) == self.type.strip().casefold()
        if self.providers:
            wanted = _fold_all(self.providers)
            parts["provider"] = _folded(frame["provider"]).isin(wanted) | _folded(frame["domain"]).isin(wanted)
        if self.domains:
            parts["domain"] = _folded(frame["domain"]).isin(_fold_all(self.domains))
        if self.topics:
            wanted_topics = set(_fold_all(self.topics))
            parts["topic"] = frame["topics"].map(lambda topics: any(t.casefold() in wanted_topics for t in topics))
        if self.published != "all":
            parts["published"] = frame["published"] == (self.published == "published")
        if self.min_quality is not None or self.max_quality is not None:
            parts["quality"] = _in_range(frame["quality"], self.min_quality, self.max_quality)
        if self.min_heat is not None or self.max_heat is not None:
            parts["heat"] = _in_range(frame["heat"], self.min_heat, self.max_heat)
        if self.since is not None:
            parts["since"] = frame["publishedDateTime"] >= _utc_midnight(self.since)
        if self.until is not None:
            parts["until"] = frame["publishedDateTime"] < _utc_midnight_after(self.until)
        if self.has_image:
            parts["has_image"] = frame["image"] != ""
        if self.duplicates_only:
            parts["duplicates"] = likely_duplicates(frame)
        return {name: part.fillna(False).astype(bool) for name, part in parts.items()}

    def to_query(self, base: Filters | None = None) -> dict[str, list[str]]:
        """URL query parameters for these filters, leaving out every value equal to `base`'s."""
        base = base or Filters()
        mine, theirs = _query_values(self), _query_values(base)
        return {name: values for name, values in mine.items() if values != theirs[name]}

    @classmethod
    def from_query(cls, params: Mapping[str, Sequence[str]], base: Filters | None = None) -> tuple[Filters, list[str]]:
        """The filters a URL's query asks for (each value missing or unusable stays `base`'s), and a
        message for each value that could not be used, naming its parameter."""
        base = base or Filters()
        changes: dict[str, object] = {}
        complaints: list[str] = []
        for name, values in params.items():
            part = _PARTS_BY_PARAMETER.get(name)
            if part is None or not values:
                continue  # another page's parameter (page, rows, columns)
            try:
                changes |= part.from_url(list(values))
            except (ValueError, TypeError) as error:
                complaints.append(f"the link's {name}={'&'.join(values)} was ignored: {error}")
        return replace(base, **changes), complaints

    def describe(self) -> str:
        """The filter as one sentence, e.g. 'unpublished · category news · quality ≥ 60'."""
        parts: list[str] = []
        if self.published != "all":
            parts.append(self.published)
        if self.search.strip():
            parts.append(f'matching "{self.search.strip()}"')
        for label, values in (
            ("category", self.categories), ("provider", self.providers), ("domain", self.domains),
            ("topic", self.topics),
        ):  # fmt: skip
            if values:
                parts.append(f"{label} {' or '.join(values)}")
        if self.type.strip():
            parts.append(f"type {self.type.strip()}")
        parts += _describe_range("quality", self.min_quality, self.max_quality)
        parts += _describe_range("heat", self.min_heat, self.max_heat)
        if self.since and self.until:
            parts.append(f"from {day_text(self.since)} to {day_text(self.until)}")
        elif self.since:
            parts.append(f"since {day_text(self.since)}")
        elif self.until:
            parts.append(f"until {day_text(self.until)}")
        if self.has_image:
            parts.append("with an image")
        if self.duplicates_only:
            parts.append("likely duplicates")
        return " · ".join(parts) if parts else "all articles"

    def slug(self) -> str:
        """The description made safe for a file name."""
        if self.is_empty():
            return "all"
        text = self.describe().replace("≥", "min").replace("≤", "max")
        return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:80].rstrip("-")


# -- one definition of every filter part: its URL parameter and its command-line flags ---------------------


@dataclass(frozen=True)
class Flag:
    """A command-line flag (`--name`): a switch, or a value `parse` reads (ValueError says what is wrong)."""

    name: str
    help: str = ""
    metavar: str | None = None
    parse: Callable[[str], object] | None = None  # None: a switch
    repeat: bool = False  # may be given more than once: any of the values

    @property
    def unset(self) -> object:
        """The flag's value when it is not given."""
        return False if self.parse is None else [] if self.repeat else None


@dataclass(frozen=True)
class FilterPart:
    """One thing an editor filters or sorts by, as a link and as the command line say it.

    `to_url(filters)` gives the values of the URL parameter (none: the parameter is left out) and
    `from_url(values)` the Filters fields they ask for (ValueError for values it cannot use);
    `from_flags(given)` makes the fields from the flags' values by name (None or [] when not given).
    """

    parameter: str
    to_url: Callable[[Filters], list[str]]
    from_url: Callable[[list[str]], dict[str, object]]
    flags: tuple[Flag, ...] = ()
    from_flags: Callable[[dict[str, Any]], dict[str, object]] = lambda given: {}
    exclusive: bool = False  # at most one of the flags may be given


def parse_score(text: str) -> int:
    """A score from 0 to 100, or a ValueError."""
    if not text.strip().isdecimal() or not 0 <= int(text) <= 100:
        raise ValueError(f"not a score from 0 to 100: {text!r}")
    return int(text)


def parse_day(text: str) -> dt.date:
    """A YYYY-MM-DD date, or a ValueError saying how to write one."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31") from None


def parse_sort(text: str) -> tuple[str, bool]:
    """`COLUMN` or `COLUMN:desc` -> (column, descending), or a ValueError."""
    column, _, order = text.partition(":")
    if column not in SORT_COLUMNS or order not in ("", "asc", "desc"):
        raise ValueError(f"use COLUMN or COLUMN:desc with a column from {', '.join(SORT_COLUMNS)}")
    return column, order == "desc"


def _score_range(low_name: str, high_name: str):
    def read(values: list[str]) -> dict[str, object]:
        numbers = [value.strip() for value in values]
        if len(numbers) != 2 or not all(number.isdecimal() for number in numbers):
            raise ValueError("give two numbers from 0 to 100, low then high")
        low, high = (int(number) for number in numbers)
        if not 0 <= low <= high <= 100:
            raise ValueError("give two numbers from 0 to 100, low then high")
        return {low_name: None if low <= 0 else low, high_name: None if high >= 100 else high}

    return read


def _scores(low: int | None, high: int | None) -> list[str]:
    return [] if low is None and high is None else [str(low or 0), str(100 if high is None else high)]


def _one_of(field: str, choices: tuple[str, ...]):
    def read(values: list[str]) -> dict[str, object]:
        if values[-1] not in choices:
            raise ValueError(f"choose one of {', '.join(choices)}")
        return {field: values[-1]}

    return read


def _truth(value: str) -> bool:
    return value.strip().casefold() in TRUE_WORDS


def _flag(value: bool) -> list[str]:
    return ["true"] if value else []


def _text(field: str, flag_help: str = "", metavar: str = "TEXT") -> FilterPart:
    """A text filter: one value in a link, one flag."""
    return FilterPart(
        field, lambda filters: [getattr(filters, field)] if getattr(filters, field).strip() else [],
        lambda values: {field: values[-1]}, (Flag(field, flag_help, metavar, parse=str),),
        lambda given: {field: given[field] or ""},
    )  # fmt: skip


def _any_of(parameter: str, field: str, flag_help: str, metavar: str) -> FilterPart:
    """A filter on any of several values: the parameter and the flag repeat."""
    return FilterPart(
        parameter, lambda filters: list(getattr(filters, field)), lambda values: {field: tuple(values)},
        (Flag(parameter, flag_help, metavar, parse=str, repeat=True),), lambda given: {field: tuple(given[parameter])},
    )  # fmt: skip


def _score_part(name: str) -> FilterPart:
    low, high = f"min_{name}", f"max_{name}"
    return FilterPart(
        name, lambda filters: _scores(getattr(filters, low), getattr(filters, high)), _score_range(low, high),
        (Flag(f"min-{name}", f"{name} of at least N (0-100)", "N", parse_score),
         Flag(f"max-{name}", f"{name} of at most N (0-100)", "N", parse_score)),
        lambda given: {low: given[f"min-{name}"], high: given[f"max-{name}"]},
    )  # fmt: skip


def _day_part(field: str, flag_help: str) -> FilterPart:
    return FilterPart(
        field, lambda filters: [getattr(filters, field).isoformat()] if getattr(filters, field) else [],
        lambda values: {field: parse_day(values[-1])}, (Flag(field, flag_help, "YYYY-MM-DD", parse_day),),
        lambda given: {field: given[field]},
    )  # fmt: skip


def _switch(parameter: str, field: str, flag: str, flag_help: str) -> FilterPart:
    return FilterPart(
        parameter, lambda filters: _flag(getattr(filters, field)), lambda values: {field: _truth(values[-1])},
        (Flag(flag, flag_help),), lambda given: {field: given[flag]},
    )  # fmt: skip


def _published(given: dict[str, Any]) -> dict[str, object]:
    return {"published": "published" if given["published"] else "unpublished" if given["unpublished"] else "all"}


def _sorted_by(given: dict[str, Any]) -> dict[str, object]:
    column, descending = given["sort"] or ("id", False)
    return {"sort": column, "descending": descending}


FILTER_PARTS = (
    _text("search", f"text in the {', '.join(SEARCHED_COLUMNS[:-1])} or {SEARCHED_COLUMNS[-1]} (any case)"),
    _any_of("category", "categories", "a category; repeat for any of several", "C"),
    _text("type", "an article type, e.g. video", metavar="T"),
    _any_of("provider", "providers", "a provider's name or domain; repeat for any of several", "P"),
    _any_of("domain", "domains", "a provider's domain; repeat for any of several", "D"),
    _any_of("topic", "topics", "a topic; repeat for any of several", "T"),
    FilterPart(
        "published",
        lambda filters: [filters.published],
        _one_of("published", PUBLISHED_STATES),
        (Flag("published", "only published articles"), Flag("unpublished", "only unpublished articles")),
        _published,
        exclusive=True,
    ),
    _score_part("quality"),
    _score_part("heat"),
    _day_part("since", "published on or after this day (UTC)"),
    _day_part("until", "published on or before this day (UTC)"),
    _switch("has_image", "has_image", "has-image", "only articles with an image"),
    _switch("duplicates", "duplicates_only", "duplicates", "only likely duplicates (a webUrl or originalUrl shared)"),
    FilterPart(
        "sort",
        lambda filters: [filters.sort],
        _one_of("sort", SORT_COLUMNS),
        (
            Flag(
                "sort",
                f"order by a column, descending with :desc ({', '.join(SORT_COLUMNS)})",
                "COLUMN[:desc]",
                parse_sort,
            ),
        ),
        _sorted_by,
    ),
    FilterPart(
        "desc",
        lambda filters: ["true" if filters.descending else "false"],
        lambda values: {"descending": _truth(values[-1])},
    ),  # the command line says it with --sort COLUMN:desc
)
_PARTS_BY_PARAMETER = {part.parameter: part for part in FILTER_PARTS}
QUERY_PARAMETERS = tuple(_PARTS_BY_PARAMETER)


def _query_values(filters: Filters) -> dict[str, list[str]]:
    return {part.parameter: part.to_url(filters) for part in FILTER_PARTS}


def filters_from_flags(given: Mapping[str, Any], base: Filters | None = None) -> Filters:
    """The Filters the command line's filter flags ask for (`given`: each flag's value by its name). With a
    `base` (a saved view's filters), only what the flags given set replaces its values."""
    fields: dict[str, object] = {}
    for part in FILTER_PARTS:
        if part.flags:
            values = {flag.name: given[flag.name] for flag in part.flags}
            fields |= part.from_flags(values) if base is None else _fields_given(part, values)
    return Filters(**fields) if base is None else replace(base, **fields)


def _fields_given(part: FilterPart, values: dict[str, Any]) -> dict[str, object]:
    """The fields the flags given of one part set: all of the part's when it is one choice (one flag, or
    exclusive flags: --sort, --published), only its own bound for each of a range's --min-/--max- flags."""
    given = [flag for flag in part.flags if values[flag.name] != flag.unset]
    if not given:
        return {}
    if part.exclusive or len(part.flags) == 1:
        return part.from_flags(values)
    unset = {flag.name: flag.unset for flag in part.flags}
    nothing = part.from_flags(unset)
    fields: dict[str, object] = {}
    for flag in given:
        alone = part.from_flags(unset | {flag.name: values[flag.name]})
        fields |= {name: value for name, value in alone.items() if value != nothing[name]}
    return fields


DASHBOARD_FILTERS = Filters(sort="publishedDateTime", descending=True)  # the dashboard opens newest first


def sort_order(column: pd.Series, descending: bool) -> np.ndarray:
    """Positions that sort the column: stable (ties keep their order), missing values last.

    Arrow sorts the values where they are; pandas' sort_values built a sorted copy of the column first,
    0.15 s at 1,000,000 rows (docs/performance.md).
    """
    values = pa.chunked_array([pa.array(column.array)])
    keys = [("", "descending" if descending else "ascending", "at_end")]
    return pc.sort_indices(values, sort_keys=keys).to_numpy()


DUPLICATE_URL_COLUMNS = ("webUrl", "originalUrl")


def shared_urls(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per URL column: whether each row's URL is non-empty and another row has it too."""
    masks = {}
    for column in DUPLICATE_URL_COLUMNS:
        urls = frame[column]
        masks[column] = ((urls != "") & urls.duplicated(keep=False)).to_numpy()
    return masks


def likely_duplicates(frame: pd.DataFrame, shared: dict[str, np.ndarray] | None = None) -> pd.Series:
    """True for each row that shares a non-empty webUrl or originalUrl with another row (`shared`: the
    shared_urls already computed for this frame)."""
    masks = shared_urls(frame) if shared is None else shared
    return pd.Series(np.logical_or.reduce([masks[column] for column in DUPLICATE_URL_COLUMNS]), index=frame.index)


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


def _utc_midnight_after(day: dt.date) -> pd.Timestamp:
    # The next day is added in pandas: a Timestamp reaches the year 10000, a date ends at 9999-12-31.
    return _utc_midnight(day) + pd.Timedelta(days=1)


def _describe_range(label: str, low: int | None, high: int | None) -> list[str]:
    if low is not None and high is not None:
        return [f"{label} {low}–{high}"]
    if low is not None:
        return [f"{label} ≥ {low}"]
    if high is not None:
        return [f"{label} ≤ {high}"]
    return []
