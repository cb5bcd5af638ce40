"""Facet counts that follow the other filters, the way Datasette's facets do.

The count beside an option is what the editor would get by adding that
option: the rows every *other* active filter keeps, counted per value of
this facet. Each collection version builds a FacetIndex once (every row's
value as a small integer code), so a count is one `np.bincount` over the
kept rows, a few milliseconds at 100,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from curation.filters import FACET_PARTS, Filters

# facet -> the frame column it counts (topics holds a list per row)
FACET_COLUMNS = {"category": "category", "type": "type", "provider": "provider", "domain": "domain", "topic": "topics"}
assert tuple(FACET_COLUMNS) == FACET_PARTS


@dataclass(frozen=True)
class Facet:
    labels: np.ndarray  # every distinct non-empty value, in no particular order
    codes: np.ndarray  # per (row, value) pair: its position in labels
    rows: np.ndarray  # per pair: the row's position in the frame
    size: int  # rows in the frame

    @classmethod
    def of(cls, column: pd.Series) -> Facet:
        if column.dtype == object and len(column) and isinstance(column.iloc[0], list):
            pairs = column.explode()
            rows = np.repeat(np.arange(len(column)), column.map(len).to_numpy())
            values = pairs.dropna().to_numpy()
        else:
            values, rows = column.to_numpy(), np.arange(len(column))
        present = values != ""
        codes, labels = pd.factorize(values[present])
        return cls(np.asarray(labels), codes, rows[present], len(column))

    def totals(self) -> pd.Series:
        """Rows per value over the whole collection."""
        return self.counts(np.ones(self.size, dtype=bool))

    def counts(self, keep: np.ndarray) -> pd.Series:
        """Rows kept per value (zero included), by label."""
        counted = np.bincount(self.codes[keep[self.rows]], minlength=len(self.labels))
        return pd.Series(counted, index=self.labels)


def facet_index(frame: pd.DataFrame) -> dict[str, Facet]:
    return {name: Facet.of(frame[column]) for name, column in FACET_COLUMNS.items()}


def facet_counts(index: dict[str, Facet], frame: pd.DataFrame, filters: Filters) -> dict[str, pd.Series]:
    """Per facet, the count of each value among the rows all the other filters keep."""
    parts = {name: part.to_numpy() for name, part in filters.parts(frame).items()}
    everything = np.ones(len(frame), dtype=bool)
    counts = {}
    for name, facet in index.items():
        keep = everything.copy()
        for part_name, part in parts.items():
            if part_name != name:
                keep &= part
        counts[name] = facet.counts(keep)
    return counts
