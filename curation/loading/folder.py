"""A docs folder -> its Collection, incrementally.

Parsed rows and problems are cached in the folder (curation.loading.cache);
a file whose size, mtime and ctime are as cached is not parsed again
(curation.loading.reuse), and the rest are parsed in worker processes when
there are many (curation.loading.workers).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.access import is_read_only
from curation.errors import UnsafePathError
from curation.loading import parsing
from curation.loading.arrow_rows import RowGroups, parse_files_to_batch
from curation.loading.cache import STAT_COLUMNS, cached_parse, read_cache_tables, write_cache
from curation.loading.frame import (
    COLUMNS,
    Collection,
    ScanBaseline,
    find_duplicates,
    frame_from_columns,
    frame_from_parsed,
    problem_frame,
    set_at,
    typed_frame,
    with_one_chunk_columns,
)
from curation.loading.parsing import ProgressCallback, empty_columns
from curation.loading.reuse import Listed, problems_from_records, reusable
from curation.loading.workers import run_chunks
from curation.problems import Problem, ProblemKind
from curation.query.filters import likely_duplicates, shared_urls
from curation.store.atomic_files import sweep_orphan_temp_files
from curation.store.local import FolderScan, scan_folder

REWRITE_CACHE_FROM = 200  # rewrite the cache once this many files were parsed or dropped again


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
    edit below the front matter changes sha256 and the stat, so a few columns
    are copied instead of the concat, retyping and take of every row that
    the general case needs (docs/performance.md). Otherwise
    cached rows are in id order already, so each new row's slot is found by
    binary search and everything is gathered with one take: copying 100,000
    rows is the cost here, so it is done at most once (and not at all when
    nothing changed).
    """
    if new.empty:
        return cached if len(valid) == len(cached) else cached.take(valid)
    if len(valid) == 0 and new.index.is_monotonic_increasing:
        return new  # nothing kept from the cache (a cold load): the new rows are the frame, as they are
    replaced = cached.index.get_indexer(new.index)
    if _replaces_only(len(cached), valid, replaced):
        frame = cached.copy(deep=False)
        for column in cached.columns:
            values = new[column]
            if not cached[column].iloc[replaced].equals(values):  # an edit changes a few columns: copy only those
                set_at(frame, column, replaced, values.array)
        return frame
    new = new.sort_index()
    kept_ids = cached.index.to_numpy()[valid]
    slots = np.searchsorted(kept_ids, new.index.to_numpy())
    order = np.insert(valid, slots, np.arange(len(cached), len(cached) + len(new)))
    return typed_frame(pd.concat([cached, new])).take(order)


def stat_array(scan: FolderScan) -> np.ndarray:
    """One int64 row per scanned id: the STAT_COLUMNS in order."""
    columns = {"size": scan.sizes, "mtime_ns": scan.mtimes, "ctime_ns": scan.ctimes}
    stats = np.column_stack([np.frombuffer(columns[name], dtype=np.int64) for name in STAT_COLUMNS])
    return stats.reshape(len(scan.ids), len(STAT_COLUMNS))


def stats_frame(scan: FolderScan) -> pd.DataFrame:
    """size, mtime_ns and ctime_ns per scanned id."""
    index = pd.Index(scan.ids, name="id", dtype="str")
    return pd.DataFrame(stat_array(scan), index=index, columns=list(STAT_COLUMNS))


BASELINE_STATS = ["size", "mtime_ns"]  # what a live collection compares a document's file with


def scan_baseline(
    scan: FolderScan, listed: Listed | None, frame: pd.DataFrame, problem_records: pd.DataFrame | None = None
) -> ScanBaseline:
    """What a live collection compares its later scans with: the folders' times, the documents that are not rows
    (with their stats), and the links and odd files.

    A load makes each scanned document a row or a problem record, so the documents that are not rows are
    found among the few problem paths; only when the counts say otherwise is every id looked up in the frame.
    """
    not_row = None
    if listed is not None and problem_records is not None:
        is_problem = pc.is_in(listed.ids, value_set=pa.array(problem_records["path"], pa.large_string()))
        not_row = is_problem.to_numpy(zero_copy_only=False)
        if len(frame) + int(not_row.sum()) != len(scan.ids):
            not_row = None
    if not_row is None:
        stats = stats_frame(scan)[BASELINE_STATS]
        not_rows = stats[~scanned_rows(stats.index, frame)].sort_index()
    else:  # only the few documents that are not rows get a frame, not every scanned id
        at = np.flatnonzero(not_row)
        index = pd.Index([scan.ids[position] for position in at], name="id", dtype="str")
        columns = [STAT_COLUMNS.index(name) for name in BASELINE_STATS]
        not_rows = pd.DataFrame(stat_array(scan)[at][:, columns], index=index, columns=BASELINE_STATS).sort_index()
    odd_files = sorted((problem.path, problem.kind) for problem in scan.problems)
    return ScanBaseline(list(scan.folder_times), not_rows, odd_files)


def scanned_rows(ids: pd.Index, frame: pd.DataFrame) -> np.ndarray:
    """Per scanned id: whether it is a row of the frame. A hash lookup over the frame's unique ids: pandas'
    `isin` on Arrow text builds a Python list of every id first, seconds at 1,000,000 (docs/performance.md)."""
    return frame.index.get_indexer(ids) >= 0


def load_folder(
    folder: Path, progress: ProgressCallback | None, use_cache: bool, refresh_cache: bool, baseline: bool = False
) -> Collection:
    with ThreadPoolExecutor(1) as reader:
        # Arrow decodes the cache outside the GIL while the scan makes its stat calls. Building the
        # frame needs the GIL, so it comes after: beside the scan it slowed every stat.
        pending_tables = reader.submit(read_cache_tables, folder) if use_cache else None
        scan = scan_folder(folder)
        tables = pending_tables.result() if pending_tables else None
    cached = cached_parse(tables, COLUMNS) if tables is not None else None
    del tables  # the rows share its text; its numbers were copied into the frame
    writable = not is_read_only()  # read-only: create, sweep and cache nothing
    if writable:
        sweep_orphan_temp_files(folder, scan.temp_files)
    listed = Listed.of(scan.ids, stat_array(scan))
    reuse = reusable(listed, cached, STAT_COLUMNS)
    to_parse = scan.documents_at(np.flatnonzero(~reuse.fresh))
    size = parsing.CHUNK_SIZE
    chunks = [to_parse[start : start + size] for start in range(0, len(to_parse), size)]
    groups = RowGroups()
    new_problems = [record for records in run_chunks(parse_files_to_batch, chunks, progress, groups.add)
                    for record in records]  # fmt: skip
    new_rows = frame_from_parsed(groups)
    cached_rows = cached.rows if cached else frame_from_columns(empty_columns())
    rows = _merge_in_id_order(cached_rows, reuse.rows, new_rows)
    kept_problems = cached.problems.take(reuse.problems) if cached else problem_frame([])
    problem_records = pd.concat([kept_problems, problem_frame(new_problems)]) if new_problems else kept_problems
    state_warnings: list[Problem] = []
    rewrite_from = 1 if refresh_cache else REWRITE_CACHE_FROM
    if use_cache and writable and (cached is None or len(to_parse) + reuse.dropped >= rewrite_from):
        try:
            write_cache(folder, rows, problem_records.reset_index(drop=True))
        except UnsafePathError as error:
            message = f"{error.message}; the parse cache was not written, so every load parses again"
            state_warnings.append(Problem(error.path, None, message, ProblemKind.STATE))
    problems = sorted(scan.problems + problems_from_records(problem_records), key=lambda problem: problem.path)
    seen = scan_baseline(scan, listed, rows, problem_records) if baseline else None
    # The scan's million ids and the listing are let go before the duplicates are counted: the load's peak.
    parsed = len(to_parse)
    del scan, listed, reuse, to_parse, chunks
    frame = with_one_chunk_columns(rows.drop(columns="ctime_ns"))
    shared = shared_urls(frame)  # for the warnings and for the dashboard's duplicates filter: computed once
    warnings = state_warnings + find_duplicates(frame, shared)
    collection = Collection(folder, frame, problems, warnings, parsed=parsed, baseline=seen)
    collection.__dict__["likely_duplicates"] = likely_duplicates(frame, shared)  # the cached_property's value
    return collection
