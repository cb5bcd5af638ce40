"""Facets: what a set of filters keeps of a collection, and counts that follow the other filters.

The count beside an option is what the editor would get by adding that
option: the rows every *other* active filter keeps, counted per value of
this facet, the way Datasette's facets do. Each collection version builds a
Facet per column once (every row's value as a small integer code), so a
facet filter is an `np.isin` over codes and a count one `np.bincount` over
the kept rows, instead of matching the strings of every row again at every
run (docs/performance.md has the figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.query.filters import FACET_PARTS, Filters

# facet -> the frame column it counts (topics holds a list per row)
FACET_COLUMNS = {"category": "category", "type": "type", "provider": "provider", "domain": "domain", "topic": "topics"}
assert tuple(FACET_COLUMNS) == FACET_PARTS
# An option's label: its value and its count, "politics (1,776)" (see counted_label).
COUNTED_LABEL = re.compile(r"(?P<value>.*\S) \(\d{1,3}(?:,\d{3})*\)")


@dataclass(frozen=True)
class Facet:
    labels: np.ndarray  # every distinct non-empty value, in no particular order
    codes: np.ndarray  # per (row, value) pair: its position in labels
    rows: np.ndarray  # per pair: the row's position in the frame
    size: int  # rows in the frame

    @classmethod
    def of(cls, column: pd.Series) -> Facet:
        """Codes for a column of text, or of lists of text (a pair per item). Arrow's dictionary encoding
        hashes the text where it is: no Python str per row (docs/performance.md)."""
        values, rows = _text_items(column)
        encoded = pc.dictionary_encode(values)
        labels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        if (labels == "").any():  # an empty value is no option: drop its pairs and number the rest again
            empty = int(np.flatnonzero(labels == "")[0])
            present = codes != empty
            codes, rows = codes[present], rows[present]
            codes = codes - (codes > empty)
            labels = np.delete(labels, empty)
        return cls(labels, codes.astype(np.int32), rows.astype(np.int32), len(column))

    def having(self, wanted: set[str]) -> np.ndarray:
        """Per row: whether it has one of these values (compared casefolded)."""
        chosen = np.flatnonzero([label.casefold() in wanted for label in self.labels])
        rows = np.zeros(self.size, dtype=bool)
        rows[self.rows[np.isin(self.codes, chosen)]] = True
        return rows

    @cached_property
    def single_valued(self) -> bool:
        """Whether the pairs are exactly the rows, in order (a column of text with no row empty)."""
        return len(self.rows) == self.size and bool((self.rows == np.arange(self.size, dtype=self.rows.dtype)).all())

    @cached_property
    def by_folded(self) -> dict[str, str]:
        """Each value, by its casefolded form (the filters compare values in any case)."""
        return {str(label).casefold(): str(label) for label in self.labels}

    def totals(self) -> pd.Series:
        """Rows per value over the whole collection."""
        return self.counts(np.ones(self.size, dtype=bool))

    def counts(self, keep: np.ndarray) -> pd.Series:
        """Rows kept per value (zero included), by label."""
        kept = keep if self.single_valued else keep[self.rows]  # one value per row: the pairs are the rows
        counted = np.bincount(self.codes[kept], minlength=len(self.labels))
        return pd.Series(counted, index=self.labels)


def arrow_array(column: pd.Series, kind: pa.DataType | None = None) -> pa.Array:
    """A column as one Arrow array: no copy when pandas holds it in Arrow in one chunk."""
    return one_chunk(pa.array(column.array, kind))


def one_chunk(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Arrow values as one array (a copy only when they are in several chunks)."""
    if isinstance(values, pa.ChunkedArray):
        return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    return values


def _text_items(column: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """A column's text as one Arrow array, with each item's row: a list column gives a pair per item."""
    if isinstance(column.dtype, pd.ArrowDtype) and pa.types.is_list(column.dtype.pyarrow_dtype):
        lists = arrow_array(column)
        return pc.list_flatten(lists), pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    if column.dtype == object and len(column) and isinstance(column.iloc[0], list):  # lists not in Arrow (tests)
        items = column.explode().dropna()
        return pa.array(items.to_numpy(), pa.large_string()), np.repeat(np.arange(len(column)), column.map(len))
    return arrow_array(column, pa.large_string()), np.arange(len(column))


def counted_label(value: str, count: int) -> str:
    """A facet option as the sidebar draws it: its value and how many articles it would show."""
    return f"{value} ({count:,})"


def facet_options(counts: pd.Series, chosen: list[str]) -> tuple[list[str], dict[str, int]]:
    """A facet's options: every value (and any chosen one no document has), sorted; and each one's count. Sorted
    casefolded, a value comes before every value that starts with it: the first option left by typing it."""
    totals = {str(label): int(count) for label, count in counts.items()}
    return sorted({*totals, *chosen}, key=str.casefold), totals


def facet_value(text: str, facet: Facet) -> str:
    """The value `text` names: itself, unless it is an option's label (counted_label) whose bare value the facet
    has and `text` is no value of the facet. A browser sends a chosen option back by its label, and may still hold
    one drawn with an older count; a link may hold one too."""
    value = text.strip()
    while value.casefold() not in facet.by_folded and (label := COUNTED_LABEL.fullmatch(value)):
        value = label["value"]  # a label of a label is peeled too: "politics (34) (0)"
    if value == text.strip():
        return text  # a value, or one no document has: as given
    return facet.by_folded.get(value.casefold(), text)


def facet_index(frame: pd.DataFrame) -> dict[str, Facet]:
    return {name: Facet.of(frame[column]) for name, column in FACET_COLUMNS.items()}


def _wanted(values: tuple[str, ...] | str) -> set[str]:
    values = (values,) if isinstance(values, str) else values
    return {value.strip().casefold() for value in values if value.strip()}


def facet_parts(index: dict[str, Facet], filters: Filters) -> dict[str, np.ndarray]:
    """The masks of the active facet filters, from the codes (the same rows Filters.parts keeps)."""
    wanted = {
        "category": _wanted(filters.categories), "type": _wanted(filters.type),
        "provider": _wanted(filters.providers), "domain": _wanted(filters.domains), "topic": _wanted(filters.topics),
    }  # fmt: skip
    parts = {name: index[name].having(values) for name, values in wanted.items() if values}
    if "provider" in parts:  # a provider is named by its name or its domain
        parts["provider"] |= index["domain"].having(wanted["provider"])
    return parts


@dataclass
class Selection:
    """What one set of filters keeps of one collection version, each filter's mask computed once per run."""

    filters: Filters
    frame: pd.DataFrame
    index: dict[str, Facet]
    # Every row's position sorted by a column (a version keeps them: Collection.sort_order); None: sort now.
    sorted_by: Callable[[str, bool], np.ndarray] | None = None

    @cached_property
    def parts(self) -> dict[str, np.ndarray]:
        without_facets = replace(self.filters, categories=(), type="", providers=(), domains=(), topics=())
        parts = {name: part.to_numpy() for name, part in without_facets.parts(self.frame).items()}
        return parts | facet_parts(self.index, self.filters)

    @cached_property
    def keep(self) -> np.ndarray:
        return self._keep_all_but("")

    def _keep_all_but(self, left_out: str) -> np.ndarray:
        keep = np.ones(len(self.frame), dtype=bool)
        for name, part in self.parts.items():
            if name != left_out:
                keep &= part
        return keep

    def positions(self) -> np.ndarray:
        """The kept rows' positions in the filters' order."""
        filters = self.filters
        if self.sorted_by is None or filters.sort == "id":
            return filters.positions(self.frame, keep=self.keep)
        return filters.positions_in(self.sorted_by(filters.sort, filters.descending), self.keep)

    def facet_counts(self) -> dict[str, pd.Series]:
        """Per facet, the count of each value among the rows all the other filters keep."""
        return {name: facet.counts(self._keep_all_but(name)) for name, facet in self.index.items()}
