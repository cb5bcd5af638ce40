"""A docs folder -> a DataFrame of articles, plus problems and warnings.

The frame is indexed by `id`, the file's path relative to the folder with
`/` separators. Every file that looks like a document ends up either as a row
or as a Problem; nothing is dropped silently.

Loading is incremental: parsed rows and problems are cached on disk (see
curation.loading.cache) and only new or changed files are parsed again, in worker
processes when there are many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray

from curation.access import is_read_only
from curation.errors import UnsafePathError
from curation.loading.cache import STAT_COLUMNS, CachedParse, cached_parse, read_cache_tables, write_cache
from curation.loading.gc_pause import cyclic_gc_paused
from curation.loading.parsing import (
    PROBLEM_TYPES,
    ROW_FIELDS,
    ROW_TYPES,
    Columns,
    ProgressCallback,
    empty_columns,
    parse_in_parallel,
)
from curation.problems import Problem
from curation.query.facets import FACET_COLUMNS, Facet, facet_index
from curation.query.filters import likely_duplicates
from curation.store.atomic_files import sweep_orphan_temp_files
from curation.store.local import FolderScan, check_docs_folder, scan_folder
from curation.store.s3 import is_s3_location

COLUMNS = ROW_FIELDS[1:-1]  # every field but the id (the index) and ctime_ns (the cache's)
COLUMN_TYPES = {column: ROW_TYPES[column] for column in COLUMNS}  # in parsing: the cache checks them too
# What the dashboard's own writes change in a row (field edits included).
UPDATABLE_COLUMNS = ("published", "sha256", "size", "mtime_ns", "title", "excerpt", "category", "type", "topics")
REWRITE_CACHE_FROM = 200  # rewrite the cache once this many files were parsed or dropped again

NOT_FOLLOWED = "is a symbolic link; links are never followed, copy the file in instead"
NOT_REGULAR = "is not a regular file; replace it with a plain text file"
NAME_NOT_UTF8 = "the name is not UTF-8 text (its odd bytes are shown as \\xNN); rename it to load it"


@dataclass
class Collection:
    """Everything the loader found in one docs folder (or S3 prefix)."""

    folder: Path | str  # a folder, or an `s3://bucket/prefix` location
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    parsed: int = 0  # how many files this load parsed (the rest came from the cache)

    @cached_property
    def facets(self) -> dict[str, Facet]:
        """Each facet's values as codes (category, type, provider, domain, topic), built once per version."""
        return facet_index(self.frame)

    @cached_property
    def likely_duplicates(self) -> pd.Series:
        """True for each article that shares a webUrl or originalUrl with another, computed once per version."""
        return likely_duplicates(self.frame)

    def with_rows_updated(self, updates: Mapping[str, Mapping[str, Any]]) -> Collection:
        """A new version with some rows' values replaced (UPDATABLE_COLUMNS); this one is untouched.

        `updates` maps an id to the new values of some of those columns; ids
        not in the frame are ignored (the file was deleted since). Nothing is
        read from disk, and with copy-on-write only the changed columns are
        copied, so this costs milliseconds at 100,000 rows. The facets are
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
                _set_at(frame, column, at, list(values))
        updated = Collection(self.folder, frame, self.problems, self.warnings, parsed=0)
        touched = {column for values in updates.values() for column in values}
        if "facets" in self.__dict__ and not touched & set(FACET_COLUMNS.values()):
            updated.__dict__["facets"] = self.__dict__["facets"]
        if "likely_duplicates" in self.__dict__ and not touched & {"webUrl", "originalUrl"}:
            updated.__dict__["likely_duplicates"] = self.__dict__["likely_duplicates"]
        return updated


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical column types, whichever way the rows were built."""
    return frame.astype(COLUMN_TYPES)


def frame_from_columns(columns: Columns) -> pd.DataFrame:
    """Parsed columns -> the typed frame, indexed by id, with the ctime_ns the cache needs."""
    frame = pd.DataFrame(columns, columns=list(ROW_FIELDS))
    frame["publishedDateTime"] = pd.to_datetime(frame["publishedDateTime"], utc=True)
    frame = typed_frame(frame).astype({"ctime_ns": "int64"})
    return frame.set_index("id")


def _set_at(frame: pd.DataFrame, column: str, positions: Sequence[int], values: Sequence[Any] | ExtensionArray) -> None:
    """Set one column of `frame` (a shallow copy: copy-on-write copies only that column) at these positions."""
    if column == "topics":
        topics = frame[column].copy()  # a list per cell: set one by one, never broadcast
        for at, value in zip(positions, values, strict=True):
            topics.iat[at] = list(value)
        frame[column] = topics
    else:
        frame.iloc[list(positions), frame.columns.get_loc(column)] = values


def _replaces_only(rows: int, valid: np.ndarray, replaced: np.ndarray) -> bool:
    """Whether every row is either still valid or replaced by a new row of the same id, and no row is both."""
    if len(valid) + len(replaced) != rows or (replaced < 0).any():
        return False
    kept = np.zeros(rows, dtype=bool)
    kept[valid] = True
    return not kept[replaced].any()


def _merge_in_id_order(cached: pd.DataFrame, valid: np.ndarray, new: pd.DataFrame) -> pd.DataFrame:
    """The still-valid cached rows (positions, ascending) and the new rows, in id order.

    When files were only edited in place (every new row replaces the cached
    row of its id, nothing added or removed), the new values are set at those
    rows of a shallow copy, and only in the columns where they differ: an
    edit below the front matter changes sha256 and the stat, so about 20 ms at
    100,000 rows instead of the concat, retyping and take of every row that
    the general case needs (0.2-0.4 s with seed-sized documents). Otherwise
    cached rows are in id order already, so each new row's slot is found by
    binary search and everything is gathered with one take: copying 100,000
    rows is the cost here, so it is done at most once (and not at all when
    nothing changed).
    """
    if new.empty:
        return cached if len(valid) == len(cached) else cached.take(valid)
    replaced = cached.index.get_indexer(new.index)
    if _replaces_only(len(cached), valid, replaced):
        frame = cached.copy(deep=False)
        for column in cached.columns:
            values = new[column]
            if not cached[column].iloc[replaced].equals(values):  # an edit changes a few columns: copy only those
                _set_at(frame, column, replaced, values.array)
        return frame
    new = new.sort_index()
    kept_ids = cached.index.to_numpy()[valid]
    slots = np.searchsorted(kept_ids, new.index.to_numpy())
    order = np.insert(valid, slots, np.arange(len(cached), len(cached) + len(new)))
    return typed_frame(pd.concat([cached, new])).take(order)


def _problem_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=["path", "line", "message", "kind", *STAT_COLUMNS])
    return frame.astype(PROBLEM_TYPES)


def find_duplicates(frame: pd.DataFrame) -> list[Problem]:
    """Warnings for documents that share a webUrl or an originalUrl."""
    warnings: list[Problem] = []
    reported: set[str] = set()
    for column in ("webUrl", "originalUrl"):
        urls = frame[column]
        shared = urls[(urls != "") & urls.duplicated(keep=False)]
        for url, ids in shared.groupby(shared, sort=True).groups.items():
            first, *others = sorted(ids)
            for other in others:
                if other not in reported:
                    reported.add(other)
                    message = f"likely a duplicate of {first}: same {column} {url}"
                    warnings.append(Problem(other, None, message, "duplicate"))
    return warnings


def _still_valid(scanned: ScannedStats, cached: pd.DataFrame, cached_ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `cached` whose stat equals the stat just taken, and which scanned files they are.

    Hash lookups and array compares only: no Python loop or set over 100,000 ids. Arrow's lookup takes
    about half the time of pandas' get_indexer here, which first copies the ids out of Arrow.
    """
    same = np.zeros(len(scanned.ids), dtype=bool)
    if len(cached_ids) == 0:
        return np.arange(0), same
    value_set = pa.array(cached_ids, pa.large_string())
    positions = pc.index_in(scanned.ids, value_set=value_set).fill_null(-1).to_numpy().astype(np.intp)
    present = positions >= 0
    now = scanned.stats[present]
    then = cached[list(STAT_COLUMNS)].to_numpy()[positions[present]]
    same[present] = (now == then).all(axis=1)
    return np.sort(positions[same]), same


@dataclass
class _Reusable:
    rows: pd.DataFrame  # every cached row
    valid_rows: np.ndarray  # positions in rows still valid, ascending
    problems: pd.DataFrame  # cached problem records still valid
    fresh: np.ndarray  # per scanned file: its cached row or problem is still valid


@dataclass
class ScannedStats:
    ids: pa.Array  # large_string, in scan order
    stats: np.ndarray  # one row per id, STAT_COLUMNS in order


def stat_array(scan: FolderScan) -> np.ndarray:
    """One int64 row per scanned id: the STAT_COLUMNS in order."""
    columns = {"size": scan.sizes, "mtime_ns": scan.mtimes, "ctime_ns": scan.ctimes}
    stats = np.column_stack([np.array(columns[name], dtype=np.int64) for name in STAT_COLUMNS])
    return stats.reshape(len(scan.ids), len(STAT_COLUMNS))


def scanned_stats(scan: FolderScan) -> ScannedStats:
    """The ids as Arrow text and their stats as one array, for lookups without pandas."""
    return ScannedStats(pa.array(scan.ids, pa.large_string()), stat_array(scan))


def stats_frame(scan: FolderScan) -> pd.DataFrame:
    """size, mtime_ns and ctime_ns per scanned id."""
    index = pd.Index(scan.ids, name="id", dtype="str")
    return pd.DataFrame(stat_array(scan), index=index, columns=list(STAT_COLUMNS))


def _reusable(scan: FolderScan, cached: CachedParse | None) -> _Reusable:
    if cached is None:
        return _Reusable(
            frame_from_columns(empty_columns()), np.arange(0), _problem_frame([]), np.zeros(len(scan.ids), bool)
        )
    scanned = scanned_stats(scan)
    valid_rows, fresh_rows = _still_valid(scanned, cached.rows, cached.rows.index)
    valid_problems, fresh_problems = _still_valid(scanned, cached.problems, pd.Index(cached.problems["path"]))
    return _Reusable(cached.rows, valid_rows, cached.problems.take(valid_problems), fresh_rows | fresh_problems)


def _problems_from_records(records: pd.DataFrame) -> list[Problem]:
    return [
        Problem(record.path, None if pd.isna(record.line) else int(record.line), record.message, record.kind)
        for record in records.itertuples(index=False)
    ]


def load_collection(
    folder: Path | str,
    progress: ProgressCallback | None = None,
    *,
    use_cache: bool = True,
    refresh_cache: bool = False,
) -> Collection:
    """Load every document below the folder: cached rows for unchanged files, parsing the rest.

    The cache is rewritten once REWRITE_CACHE_FROM files were parsed or dropped again (a few changed files
    cost less to parse at each load than a rewrite); `refresh_cache` rewrites it after any change.
    """
    if is_s3_location(folder):  # `s3://bucket/prefix`: the same frame, from object storage
        from curation.loading.objects import load_objects

        return load_objects(folder, progress, use_cache=use_cache)
    with cyclic_gc_paused():
        return _load_folder(check_docs_folder(Path(folder)), progress, use_cache, refresh_cache)


def _load_folder(folder: Path, progress: ProgressCallback | None, use_cache: bool, refresh_cache: bool) -> Collection:
    with ThreadPoolExecutor(1) as reader:
        # Arrow decodes the cache outside the GIL while the scan makes its stat calls. Building the
        # frame needs the GIL, so it comes after: beside the scan it slowed every stat (measured).
        pending_tables = reader.submit(read_cache_tables, folder) if use_cache else None
        scan = scan_folder(folder)
        tables = pending_tables.result() if pending_tables else None
    cached = cached_parse(tables, COLUMNS) if tables is not None else None
    writable = not is_read_only()  # read-only: create, sweep and cache nothing
    if writable:
        sweep_orphan_temp_files(folder, scan.temp_files)
    reusable = _reusable(scan, cached)
    to_parse = scan.documents_at(np.flatnonzero(~reusable.fresh))
    new_columns, new_problems = parse_in_parallel(to_parse, progress)
    rows = _merge_in_id_order(reusable.rows, reusable.valid_rows, frame_from_columns(new_columns))
    kept_problems = reusable.problems
    problem_records = pd.concat([kept_problems, _problem_frame(new_problems)]) if new_problems else kept_problems
    stale = 0 if cached is None else len(cached.rows) + len(cached.problems) - int(reusable.fresh.sum())
    state_warnings: list[Problem] = []
    rewrite_from = 1 if refresh_cache else REWRITE_CACHE_FROM
    if use_cache and writable and (cached is None or len(to_parse) + stale >= rewrite_from):
        try:
            write_cache(folder, rows, problem_records.reset_index(drop=True))
        except UnsafePathError as error:
            message = f"{error.message}; the parse cache was not written, so every load parses again"
            state_warnings.append(Problem(error.path, None, message, "state"))
    problems = sorted(scan.problems + _problems_from_records(problem_records), key=lambda problem: problem.path)
    frame = rows.drop(columns="ctime_ns")
    return Collection(folder, frame, problems, state_warnings + find_duplicates(frame), parsed=len(to_parse))
