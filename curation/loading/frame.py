"""The collection: a DataFrame of articles indexed by id, with its problems and warnings.

The frame is indexed by `id`, the document's path relative to the folder or
prefix with `/` separators. Every document ends up either as a row or as a
Problem; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray
from pandas.arrays import ArrowExtensionArray

from curation.loading.arrow_rows import ROW_SCHEMA, RowGroups
from curation.loading.cache import ROW_DTYPES, STAT_COLUMNS, TOPICS_DTYPE, one_chunk_columns
from curation.loading.parsing import (
    PROBLEM_TYPES,
    ROW_FIELDS,
    Columns,
)
from curation.problems import Problem, ProblemKind
from curation.query.facets import FACET_COLUMNS, Facet, facet_index, one_chunk
from curation.query.filters import DUPLICATE_URL_COLUMNS, likely_duplicates, shared_urls, sort_order

COLUMNS = ROW_FIELDS[1:-1]  # every field but the id (the index) and ctime_ns (the cache's)
COLUMN_TYPES = {column: ROW_DTYPES[column] for column in COLUMNS}  # in parsing and cache: the cache checks them too
EXPORT_CHUNK_ROWS = 20_000  # rows an export holds at once: a few MB, whatever the collection's size
# What the dashboard's own writes change in a row (field edits included).
UPDATABLE_COLUMNS = ("published", "sha256", "size", "mtime_ns", "title", "excerpt", "category", "type", "topics")


@dataclass(frozen=True)
class ScanBaseline:
    """What a folder load's own scan saw, for a live collection to compare its later checks with (no second scan)."""

    folder_times: list[tuple[str, int]]  # each folder's mtime_ns, taken before the scan listed it
    not_rows: pd.DataFrame  # size and mtime_ns of the scanned documents that are not rows (problems), by id
    odd_files: list[tuple[str, str]]  # links and other non-regular files, as (path, kind), sorted


@dataclass
class Collection:
    """Everything the loader found in one docs folder (or S3 prefix)."""

    location: Path | str  # a folder, or an `s3://bucket/prefix`
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    parsed: int = 0  # how many files this load parsed (the rest came from the cache)
    baseline: ScanBaseline | None = None  # a folder load's scan; None for an S3 load or a version after a write
    # (column, descending) -> every row's position in that order, built when first asked for (sort_order)
    sort_orders: dict[tuple[str, bool], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def facets(self) -> dict[str, Facet]:
        """Each facet's values as codes (category, type, provider, domain, topic), built once per version."""
        return facet_index(self.frame)

    @cached_property
    def likely_duplicates(self) -> pd.Series:
        """True for each article that shares a webUrl or originalUrl with another, computed once per version."""
        return likely_duplicates(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column an article has, as `column_chunks` gives them (an export asks for columns by these names)."""
        return COLUMNS

    def column_chunks(
        self, positions: np.ndarray, columns: Sequence[str], chunk_rows: int = EXPORT_CHUNK_ROWS
    ) -> Iterator[pd.DataFrame]:
        """The given columns of the rows at these frame positions, in that order, `chunk_rows` rows at a time.

        `columns` may name `id` (the index) and any of `self.columns`; each chunk is indexed by id.
        This is how an export reads every row without a second copy of the frame.
        """
        held = [column for column in columns if column != "id"]
        for start in range(0, len(positions), chunk_rows):
            yield self.frame[held].take(positions[start : start + chunk_rows])

    def sort_order(self, column: str, descending: bool) -> np.ndarray:
        """Every row's position sorted by `column` (query.filters.sort_order), sorted once per version: a
        filter change or a tick then keeps the sorted rows it matches instead of sorting again."""
        orders = self.sort_orders
        if (column, descending) not in orders:
            orders[column, descending] = sort_order(self.frame[column], descending)
        return orders[column, descending]

    def with_rows_updated(self, updates: Mapping[str, Mapping[str, Any]]) -> Collection:
        """A new version with some rows' values replaced (UPDATABLE_COLUMNS); this one is untouched.

        `updates` maps an id to the new values of some of those columns; ids
        not in the frame are ignored (the file was deleted since). Nothing is
        read from disk, and with copy-on-write only the changed columns are
        copied, so this costs milliseconds even for a large frame. The facets are
        carried over unless a facet column (category, type, topics) changed.
        """
        unknown = {column for values in updates.values() for column in values} - set(UPDATABLE_COLUMNS)
        if unknown:
            raise ValueError(f"only {', '.join(UPDATABLE_COLUMNS)} can be updated, not {', '.join(sorted(unknown))}")
        positions = self.frame.index.get_indexer(list(updates))
        frame = self.frame.copy(deep=False)  # copy-on-write: setting values below copies only those columns
        for column in UPDATABLE_COLUMNS:
            chosen = [(at, values[column]) for at, values in zip(positions, updates.values(), strict=True)
                      if at >= 0 and column in values]  # fmt: skip
            if chosen:
                at, values = zip(*chosen, strict=True)
                set_at(frame, column, at, list(values))
        updated = Collection(self.location, frame, self.problems, self.warnings, parsed=0)
        touched = {column for values in updates.values() for column in values}
        if "facets" in self.__dict__ and not touched & set(FACET_COLUMNS.values()):
            updated.__dict__["facets"] = self.__dict__["facets"]
        updated.sort_orders.update((key, order) for key, order in self.sort_orders.items() if key[0] not in touched)
        if "likely_duplicates" in self.__dict__ and not touched & {"webUrl", "originalUrl"}:
            updated.__dict__["likely_duplicates"] = self.__dict__["likely_duplicates"]
        return updated


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical column types, whichever way the rows were built."""
    return frame.astype(COLUMN_TYPES)


def frame_from_columns(columns: Columns) -> pd.DataFrame:
    """Parsed columns -> the typed frame, indexed by id, with the ctime_ns the cache needs."""
    frame = pd.DataFrame(columns, columns=list(ROW_FIELDS))
    topics = pa.array(columns["topics"], TOPICS_DTYPE.pyarrow_dtype)  # the lists straight into Arrow
    frame["topics"] = pd.Series(pd.arrays.ArrowExtensionArray(topics), index=frame.index)
    frame["publishedDateTime"] = pd.to_datetime(frame["publishedDateTime"], utc=True)
    frame = typed_frame(frame).astype({"ctime_ns": "int64"})
    return frame.set_index("id")


def frame_from_parsed(groups: RowGroups) -> pd.DataFrame:
    """Parsed rows (curation.loading.arrow_rows.RowGroups) -> the typed frame, indexed by id, with the ctime_ns
    the cache needs. Each column is joined into one chunk (set_at says why), a column at a time: the groups'
    table goes straight in, so nothing else holds it and its rows are never held twice."""
    table = one_chunk_columns(groups.table())
    # The groups are in the order the workers finished; the frame is in id order. Taken a column at a time:
    # sorting the frame would hold it twice.
    order = pc.sort_indices(table.column("id"))
    if not np.array_equal(order.to_numpy(), np.arange(len(table))):
        for position, name in enumerate(table.column_names):
            table = table.set_column(position, name, table.column(position).take(order))
    frame = table.drop_columns(["topics"]).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    topics = pd.arrays.ArrowExtensionArray(table.column("topics"))
    frame.insert(ROW_SCHEMA.get_field_index("topics"), "topics", pd.Series(topics, index=frame.index))
    return typed_frame(frame).astype({"ctime_ns": "int64"}).set_index("id")


def with_one_chunk_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each Arrow column, and the ids, in one chunk (joining what a concat or a take left in
    several; set_at says why). Columns in one chunk already are not copied."""
    joined = frame.copy(deep=False)
    for column in frame.columns:
        held = frame[column].array
        if isinstance(held, ArrowExtensionArray) and held.__arrow_array__().num_chunks > 1:
            joined[column] = pd.Series(pd.array(one_chunk(held.__arrow_array__()), dtype=held.dtype), index=frame.index)
    ids = frame.index.array
    if isinstance(ids, ArrowExtensionArray) and ids.__arrow_array__().num_chunks > 1:
        joined.index = pd.Index(pd.array(one_chunk(ids.__arrow_array__()), dtype=ids.dtype), name=frame.index.name)
    return joined


def set_at(frame: pd.DataFrame, column: str, positions: Sequence[int], values: Sequence[Any] | ExtensionArray) -> None:
    """Set one column of `frame` (a shallow copy of a version) at these positions, copying that column only.

    An Arrow column stays one chunk: Arrow's `take` from a column of several chunks joins them first, so a
    page of 50 rows from a million-row column cost 7-9 ms a column instead of 0.05 ms (docs/performance.md).
    A numpy column is copied alone, not with the block pandas keeps it in.
    """
    at = np.asarray(positions, dtype=np.intp)
    held = frame[column]
    if isinstance(held.array, ArrowExtensionArray):
        whole = one_chunk(held.array.__arrow_array__())
        new = pa.array([list(value) for value in values] if column == "topics" else list(values), whole.type)
        order = np.arange(len(whole))
        order[at] = len(whole) + np.arange(len(new))  # the new values go after the old; one take puts them in place
        written = pa.concat_arrays([whole, new]).take(order)
        frame[column] = pd.Series(pd.array(written, dtype=held.dtype), index=frame.index)
    else:
        copied = held.copy()  # this column alone: assigned back, it no longer shares pandas' block
        copied.iloc[at] = values
        frame[column] = copied


def problem_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=["path", "line", "message", "kind", *STAT_COLUMNS])
    return frame.astype(PROBLEM_TYPES)


def find_duplicates(frame: pd.DataFrame, shared: dict[str, np.ndarray] | None = None) -> list[Problem]:
    """Warnings for documents that share a webUrl or an originalUrl (`shared`: query.filters.shared_urls of the
    frame, when computed already)."""
    masks = shared_urls(frame) if shared is None else shared
    warnings: list[Problem] = []
    reported: set[str] = set()
    for column in DUPLICATE_URL_COLUMNS:
        urls = frame[column]
        shared_here = urls[masks[column]]
        for url, ids in shared_here.groupby(shared_here, sort=True).groups.items():
            first, *others = sorted(ids)
            for other in others:
                if other not in reported:
                    reported.add(other)
                    message = f"likely a duplicate of {first}: same {column} {url}"
                    warnings.append(Problem(other, None, message, ProblemKind.DUPLICATE))
    return warnings
