"""The parse cache: parsed rows and problems kept on disk, keyed by each file's stat.

A cached entry is reused only while the file's size, mtime_ns and ctime_ns
are what they were when it was parsed. Entries whose times are within
RACY_NS of the moment the cache was written are never stored: a file changed
again in the same clock tick would otherwise look unchanged (git's "racily
clean" problem). A cache that is missing, of another version, truncated or
unreadable in any way is ignored and rebuilt, never trusted. The cache is
input like any file in the folder: its schema, dtypes, ids (unique, in id
order) and value ranges are checked before a row of it is used.

The cache lives in `.curation/cache/` inside the docs folder, or under
$CURATION_CACHE_DIR (one subfolder per docs folder) for a read-only folder.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from curation.loading.parsing import PROBLEM_TYPES, ROW_TYPES, STAT_FIELDS, TEXT_COLUMNS
from curation.problems import ProblemKind
from curation.query.facets import one_chunk
from curation.store.atomic_files import STATE_DIR, replace_atomically
from curation.store.folder import DocsFolder, closing, open_subfolder

CACHE_VERSION = "3"
# A row's topics as the frame holds them: one Arrow list column, not a Python list per row. A million
# rows of lists of str cost 230 MB of small objects, and pinned the heap the load freed around them
# (docs/performance.md). Read a cell and it is a list of str, as before.
TOPICS_DTYPE = pd.ArrowDtype(pa.list_(pa.string()))
ROW_GROUP_ROWS = 65_536  # rows a cache write encodes at once
ROW_DTYPES = {**ROW_TYPES, "topics": TOPICS_DTYPE}  # ROW_TYPES with the frame's topics type (parsing has no pandas)
CACHE_DIR_ENV = "CURATION_CACHE_DIR"
RACY_NS = 2_000_000_000
STAT_COLUMNS = STAT_FIELDS
PROBLEM_COLUMNS = tuple(PROBLEM_TYPES)


@dataclass
class CachedParse:
    """What a cache file held: rows (index id) and problems, each with the stat they were parsed at."""

    rows: pd.DataFrame
    problems: pd.DataFrame


def cache_folder(folder: Path) -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
        return Path(configured) / digest
    return folder / STATE_DIR / "cache"


def _paths(folder: Path) -> tuple[Path, Path]:
    base = cache_folder(folder)
    return base / f"rows-v{CACHE_VERSION}.parquet", base / f"problems-v{CACHE_VERSION}.parquet"


@dataclass
class CacheTables:
    """The cache files as Arrow tables, decoded but not yet checked."""

    rows: pa.Table
    problems: pa.Table


def read_cache_tables(folder: Path) -> CacheTables | None:
    """The stored tables, or None when they cannot be read; `cached_parse` checks them.

    Arrow decodes outside the GIL, so this runs in a thread beside the folder scan, and on one core:
    decoding on both slowed the scan more than it saved (docs/performance.md).
    """
    rows_path, problems_path = _paths(folder)
    try:
        # Row group by row group, not the whole file buffered first: 230 MB less at the peak for 1,000,000 rows.
        return CacheTables(read_one_chunk_columns(rows_path), pq.read_table(problems_path))
    except Exception:
        return None  # whatever the files hold, a cache that cannot be read is rebuilt


def cached_parse(tables: CacheTables, columns: tuple[str, ...]) -> CachedParse | None:
    """The cached rows and problems, or None when the tables are not exactly what the loader writes."""
    try:
        rows = rows_with_topics(tables.rows)
        if rows is None:
            return None
        problems = tables.problems.to_pandas()
        if not (_trusted_rows(rows, [*columns, "ctime_ns"]) and _trusted_problems(problems, rows.index)):
            return None
    except Exception:
        return None  # whatever the files hold, a cache that cannot be read is rebuilt
    # A problem that was a bug of ours is not kept: the file is parsed again, maybe by a fixed version.
    return CachedParse(rows, problems[problems["kind"] != ProblemKind.INTERNAL])


def rows_with_topics(table: pa.Table) -> pd.DataFrame | None:
    """Stored rows as a frame whose `topics` are the frame's Arrow lists of text (in their stored place), or None
    when the stored topics are not lists of text."""
    topics = table.column("topics")
    if not topics_are_lists_of_text(topics):
        return None
    rows = table.drop_columns(["topics"]).to_pandas()
    # pandas would hand back a numpy array per row; the Arrow column is kept as it is instead.
    lists = pd.arrays.ArrowExtensionArray(topics.cast(TOPICS_DTYPE.pyarrow_dtype))
    rows.insert(table.column_names.index("topics"), "topics", pd.Series(lists, index=rows.index))
    return rows


def parquet_buffer(frame: pd.DataFrame) -> pa.Buffer:
    """A frame as the cache stores it (zstd Parquet): an Arrow buffer, which writes like bytes without a copy.
    An Arrow list column is stored as Arrow gives it.

    pandas would describe the list column's type in the file's metadata in a form it cannot read back
    ("list<item: string>[pyarrow]" is no numpy type), and then no column of the file could be read as a frame.
    """
    lists = [column for column, dtype in frame.dtypes.items() if dtype == TOPICS_DTYPE]
    table = pa.Table.from_pandas(frame.drop(columns=lists))
    for column in lists:
        table = table.add_column(frame.columns.get_loc(column), column, pa.array(frame[column].array))
    sink = pa.BufferOutputStream()
    # Row groups of ROW_GROUP_ROWS: one group of a million rows held 1.5 GB more while it was written.
    pq.write_table(table, sink, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue()


def read_one_chunk_columns(path: Path) -> pa.Table:
    """A Parquet file as a table whose columns are one chunk each (frame.set_at says why), read a column at a
    time and its row groups joined before the next: the read holds one column twice at most, never the table
    (at 1,000,000 rows: 1.33 s, and 8 MB beside the 1,167 MB kept, where reading the whole table took 270 MB)."""
    parquet = pq.ParquetFile(path, pre_buffer=False)
    schema = parquet.schema_arrow
    columns = [one_chunk(parquet.read(columns=[name], use_threads=False).column(0)) for name in schema.names]
    return pa.Table.from_arrays(columns, schema=schema)


def one_chunk_columns(table: pa.Table) -> pa.Table:
    """The table with each column in one chunk, joined a column at a time: the old chunks of a column are let go
    before the next is joined, when nothing else holds them."""
    for position, name in enumerate(table.column_names):
        if table.column(position).num_chunks > 1:
            table = table.set_column(position, name, one_chunk(table.column(position)))
    return table


def topics_are_lists_of_text(topics: pa.ChunkedArray) -> bool:
    """Whether a stored `topics` column holds only lists of text, with no nulls at either level."""
    kind = topics.type
    if pa.types.is_null(kind):
        return len(topics) == 0  # how Arrow stores a column of no rows
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return False
    # list<null> is how Arrow stores lists that are all empty.
    items = kind.value_type
    if not (pa.types.is_string(items) or pa.types.is_large_string(items) or pa.types.is_null(items)):
        return False
    return topics.null_count == 0 and all(chunk.flatten().null_count == 0 for chunk in topics.chunks)


def has_dtypes(frame: pd.DataFrame, types: dict[str, str]) -> bool:
    """Whether each named column of `frame` has exactly the dtype given for it."""
    return all(frame[column].dtype == pd.api.types.pandas_dtype(dtype) for column, dtype in types.items())


def _trusted_rows(rows: pd.DataFrame, columns: list[str]) -> bool:
    """Whether cached rows look exactly like rows the loader builds (topics are checked in Arrow)."""
    if list(rows.columns) != columns or rows.index.name != "id" or set(columns) != set(ROW_TYPES):
        return False
    if not has_dtypes(rows, ROW_DTYPES):
        return False
    index = rows.index
    if len(index) == 0:
        return True  # an empty frame's ids are float64, as a cold load of no documents gives them
    # The merge of changed rows finds slots by binary search over the ids: order matters, not only uniqueness.
    if index.dtype != pd.api.types.pandas_dtype("str") or not (index.is_unique and index.is_monotonic_increasing):
        return False
    if index.hasnans or rows[list(TEXT_COLUMNS)].isna().to_numpy().any():
        return False
    scores = rows[["quality", "heat"]]
    if ((scores < 0) | (scores > 100)).any().any():  # NA (no score) counts as neither
        return False
    return not (rows[["images", "related", *STAT_COLUMNS]] < 0).to_numpy().any()


def _trusted_problems(problems: pd.DataFrame, row_ids: pd.Index) -> bool:
    """Whether cached problems look like the loader's: one per file, never a file that is also a row."""
    if list(problems.columns) != list(PROBLEM_COLUMNS) or not has_dtypes(problems, PROBLEM_TYPES):
        return False
    if problems[["path", "message", "kind"]].isna().to_numpy().any() or not problems["path"].is_unique:
        return False
    if (problems["line"] < 1).any() or (problems[list(STAT_COLUMNS)] < 0).to_numpy().any():
        return False
    return not (row_ids.get_indexer(problems["path"]) >= 0).any()


def write_cache(folder: Path, rows: pd.DataFrame, problems: pd.DataFrame) -> bool:
    """Store the parse, leaving out racily-clean entries; False when the folder cannot take it.

    Raises UnsafePathError when a link or a file of the wrong type stands where
    the cache belongs: the cache is never written through a link.
    """
    racy_after = time.time_ns() - RACY_NS
    settled = ((rows["mtime_ns"] < racy_after) & (rows["ctime_ns"] < racy_after)).to_numpy()
    settled_rows = rows if settled.all() else rows[settled]  # a mask of all True would still copy every row
    settled_problems = problems[(problems["mtime_ns"] < racy_after) & (problems["ctime_ns"] < racy_after)]
    rows_path, problems_path = _paths(folder)
    try:
        with _cache_folder_fd(folder) as cache_fd:
            for path, frame in ((rows_path, settled_rows), (problems_path, settled_problems)):
                replace_atomically(cache_fd, path.name, memoryview(parquet_buffer(frame)), mode=0o644)
    except OSError:
        return False  # e.g. a read-only docs folder: loading still works, only slower
    return True


@contextmanager
def _cache_folder_fd(folder: Path) -> Iterator[int]:
    """The cache folder's descriptor, made if missing, reached without following a link."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if not configured:
        with DocsFolder(folder) as docs, docs.state_folder("cache", create=True) as fd:
            yield fd
        return
    Path(configured).mkdir(parents=True, exist_ok=True)  # the operator's folder: theirs to place
    with closing(os.open(configured, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)) as base:
        name = cache_folder(folder).name
        with closing(open_subfolder(base, name, f"{configured}/{name}", create=True)) as fd:
            yield fd
