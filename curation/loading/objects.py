"""An S3 prefix -> the same Collection a folder gives, through a parse cache keyed by ETag and size.

A load:
1. lists the prefix (paginated, 1,000 keys a request; `.curation/` is skipped);
2. reuses every cached row or problem whose object still has the ETag and
   size it was parsed at;
3. fetches the rest many at a time from this process (object storage wants
   concurrency, not cores: obstore's GETs wait outside the GIL) and parses
   them with the folder's own parser (curation.documents) on the cores;
4. writes this host's cache when anything changed.

Partitions of keys go in and columns come out: locally the fetched bytes go
to the load's worker processes (5,000 or more objects) to be parsed; on Dask
workers each fetches and parses its partition (`fetch_and_parse`,
curation.loading.index_build).

Caches, both Parquet and both checked before a row of them is used:
- this host's, under $CURATION_CACHE_DIR (default `~/.cache/curation`), one
  folder per endpoint and location;
- the shared one in the bucket, `<prefix>/.curation/cache/`, written by
  `curation index`; a host whose own cache is missing or far behind reads it
  instead of parsing, and still checks every ETag against the listing.
Problems that may pass (an object that could not be read) are never cached.
"""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from curation.access import is_read_only
from curation.errors import StoreError
from curation.loading import cache
from curation.loading.frame import COLUMNS, Collection, find_duplicates, frame_from_columns, with_one_chunk_columns
from curation.loading.parsing import (
    ROW_FIELDS,
    TEXT_COLUMNS,
    ObjectRef,
    Parsed,
    Partition,
    PartitionParser,
    ProgressCallback,
    fetch,
    parse_fetched,
)
from curation.loading.reuse import Listed, Reuse, problems_from_records, reusable
from curation.loading.workers import run_chunks
from curation.problems import Problem, ProblemKind
from curation.store.atomic_files import replace_atomically
from curation.store.folder import closing
from curation.store.s3 import ObjectListing, S3Store

# Tied to the folder cache's version: a parser change that invalidates one invalidates both.
CACHE_VERSION = f"1-{cache.CACHE_VERSION}"
ROWS_NAME = f"s3-rows-v{CACHE_VERSION}.parquet"
PROBLEMS_NAME = f"s3-problems-v{CACHE_VERSION}.parquet"
ROW_COLUMNS = (*COLUMNS, "etag")
ROW_COLUMN_TYPES = {**{column: cache.ROW_DTYPES[column] for column in COLUMNS}, "etag": "str"}
PROBLEM_COLUMN_TYPES = {"path": "str", "line": "Int64", "message": "str", "kind": "str", "size": "int64", "etag": "str"}
TRANSIENT_KINDS = (ProblemKind.UNREADABLE, ProblemKind.INTERNAL)  # the next load tries these objects again
PARTITION_SIZE = 500
FETCH_BATCH = 10_000  # objects fetched before they are parsed: about 35 MB of documents in memory
VERSION_COLUMNS = ("etag", "size")  # an object whose ETag and size are as cached is parsed no more
SHARED_CACHE_FROM = 200  # read the bucket's cache when this host's would leave this many objects to fetch


@dataclass
class CachedObjects:
    """What a cache held: rows (index id, with etag) and problem records (with size and etag)."""

    rows: pd.DataFrame
    problems: pd.DataFrame


@dataclass
class ObjectLoad:
    """One load of a prefix, and what it cost."""

    collection: Collection
    listed: int  # document objects listed
    list_requests: int
    fetched: int  # objects fetched and parsed (the rest came from a cache)
    cache_source: str  # "local", "shared" or "none": where the reused rows came from
    etags: pd.Series | None = None  # the listed ETag of every document object (index id): what this load reflects
    local_cache: Path | None = None  # written by this load
    shared_cache: str | None = None  # written by this load (curation index)


def parse_partitions_locally(
    location: str, partitions: list[Partition], progress: ProgressCallback | None
) -> list[Parsed]:
    """Fetch in this process (CONCURRENCY GETs in flight, outside the GIL: no process just to fetch), then parse
    through the load's workers (curation.loading.workers), FETCH_BATCH objects at a time to bound memory."""
    refs = [ref for partition in partitions for ref in partition]
    results: list[Parsed] = []
    for start in range(0, len(refs), FETCH_BATCH):
        fetched = fetch(location, refs[start : start + FETCH_BATCH])
        chunks = [fetched[at : at + PARTITION_SIZE] for at in range(0, len(fetched), PARTITION_SIZE)]
        reported = None if progress is None else partial(_progress_from, progress, start, len(refs))
        results.extend(run_chunks(partial(parse_fetched, location), chunks, reported))
    return results


def _progress_from(progress: ProgressCallback, start: int, total: int, done: int, _: int) -> None:
    progress(start + done, total)


def load_objects(location: str, progress: ProgressCallback | None = None, *, use_cache: bool = True) -> Collection:
    """Every document under an S3 prefix, as the Collection a folder gives (ids relative to the prefix)."""
    return build_collection(location, progress, use_cache=use_cache).collection


def build_collection(
    location: str,
    progress: ProgressCallback | None = None,
    *,
    use_cache: bool = True,
    parser: PartitionParser = parse_partitions_locally,
    write_shared: bool = False,
    listing: ObjectListing | None = None,
) -> ObjectLoad:
    """List (unless a fresh `listing` is given), reuse what the caches hold for unchanged objects, fetch and
    parse the rest, write the caches."""
    store = S3Store(location)
    local_folder = local_cache_folder(store)
    with ThreadPoolExecutor(1) as reader:
        # Reading the cache (Arrow, outside the GIL) overlaps the listing's round trips.
        pending = reader.submit(read_cache_files, local_folder) if use_cache else None
        listing = listing or store.list_documents()
        cached = pending.result() if pending else None
    listed = _listed_frame(listing)
    versions = Listed.of(listing.ids, listed[list(VERSION_COLUMNS)].to_numpy())
    source = "local" if cached is not None else "none"
    reuse = reusable(versions, cached, VERSION_COLUMNS)
    cache_warnings: list[Problem] = []
    if use_cache and (cached is None or reuse.to_parse >= SHARED_CACHE_FROM):
        shared, cache_warnings = read_shared_cache(store)
        if shared is not None:
            shared_reuse = reusable(versions, shared, VERSION_COLUMNS)
            if shared_reuse.to_parse < reuse.to_parse:
                cached, reuse, source = shared, shared_reuse, "shared"
    stale = listed[~reuse.fresh]
    refs = [
        ObjectRef(doc_id, int(size), etag, int(mtime))
        for doc_id, size, etag, mtime in zip(stale.index, stale["size"], stale["etag"], stale["mtime_ns"], strict=True)
    ]
    partitions = [refs[start : start + PARTITION_SIZE] for start in range(0, len(refs), PARTITION_SIZE)]
    results = parser(location, partitions, progress) if partitions else []
    rows, problem_records = _merged(cached, reuse, results)
    frame = with_one_chunk_columns(rows.drop(columns="etag"))
    found = listing.problems + problems_from_records(problem_records) + cache_warnings
    problems = sorted(found, key=lambda problem: problem.path)
    collection = Collection(store.name, frame, problems, find_duplicates(frame), parsed=len(refs))
    load = ObjectLoad(collection, len(listed), listing.requests, len(refs), source, listed["etag"])
    writable = use_cache and not is_read_only()
    lasting = problem_records[~problem_records["kind"].isin(TRANSIENT_KINDS)].reset_index(drop=True)
    if writable and (refs or source != "local" or reuse.dropped):
        load.local_cache = write_cache_files(local_folder, rows, lasting)
    if writable and write_shared:
        load.shared_cache = write_shared_cache(store, rows, lasting)
    return load


def _listed_frame(listing: ObjectListing) -> pd.DataFrame:
    index = pd.Index(listing.ids, name="id", dtype="str")
    return pd.DataFrame(
        {
            "size": np.array(listing.sizes, dtype=np.int64),
            "etag": pd.array(listing.etags, dtype="str"),
            "mtime_ns": np.array(listing.mtimes, dtype=np.int64),
        },
        index=index,
    )


def _empty_rows() -> pd.DataFrame:
    rows = frame_from_columns({name: [] for name in ROW_FIELDS}).drop(columns="ctime_ns")
    rows["etag"] = pd.array([], dtype="str")
    return rows


def _merged(cached: CachedObjects | None, reuse: Reuse, results: list[Parsed]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reused and the new rows in id order, and the reused and new problem records."""
    parts, records = [], []
    if cached is not None:
        parts.append(cached.rows.take(reuse.rows))
        records.append(cached.problems.take(reuse.problems))
    for columns, problems in results:
        if columns["id"]:
            new = frame_from_columns({name: columns[name] for name in ROW_FIELDS}).drop(columns="ctime_ns")
            new["etag"] = pd.array(columns["etag"], dtype="str")
            parts.append(new)
        if problems:
            records.append(pd.DataFrame.from_records(problems, columns=list(PROBLEM_COLUMN_TYPES)))
    if cached is not None and len(parts) == 1 and len(reuse.rows) == len(cached.rows):
        rows = cached.rows  # no row changed: no copy
    else:
        parts = [part for part in parts if len(part)]
        rows = pd.concat(parts).sort_index().astype(ROW_COLUMN_TYPES) if parts else _empty_rows()
    records = [part for part in records if len(part)]
    problems = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=list(PROBLEM_COLUMN_TYPES))
    return rows, problems.astype(PROBLEM_COLUMN_TYPES)


# -- the caches ---------------------------------------------------------------------------------


def local_cache_folder(store: S3Store) -> Path:
    """This host's cache of one location: $CURATION_CACHE_DIR (else ~/.cache/curation)/s3-<digest>."""
    configured = os.environ.get(cache.CACHE_DIR_ENV)
    base = (
        Path(configured)
        if configured
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "curation"
    )
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    digest = hashlib.sha256(f"{endpoint}\0{store.name}".encode()).hexdigest()[:16]
    return base / f"s3-{digest}"


def _rows_from_parquet(source: Any) -> pd.DataFrame | None:
    """Cached rows, exactly as a load builds them, or None when the data is not that."""
    rows = cache.rows_with_topics(cache.one_chunk_columns(pq.read_table(source)))
    if (
        rows is None
        or list(rows.columns) != list(ROW_COLUMNS)
        or rows.index.name != "id"
        or not cache.has_dtypes(rows, ROW_COLUMN_TYPES)
    ):
        return None
    if (len(rows) and not (rows.index.is_unique and rows.index.is_monotonic_increasing)) or rows.index.hasnans:
        return None
    if rows[[*TEXT_COLUMNS, "etag"]].isna().to_numpy().any() or (rows[["size", "mtime_ns"]] < 0).to_numpy().any():
        return None
    return rows


def _problems_from_parquet(source: Any) -> pd.DataFrame | None:
    problems = pd.read_parquet(source)
    if list(problems.columns) != list(PROBLEM_COLUMN_TYPES) or not cache.has_dtypes(problems, PROBLEM_COLUMN_TYPES):
        return None
    if problems[["path", "message", "kind", "etag"]].isna().to_numpy().any() or not problems["path"].is_unique:
        return None
    return problems[~problems["kind"].isin(TRANSIENT_KINDS)].reset_index(drop=True)


def _cache_from(rows_source: Any, problems_source: Any) -> CachedObjects | None:
    try:
        rows = _rows_from_parquet(rows_source)
        problems = _problems_from_parquet(problems_source) if rows is not None else None
    except Exception:
        return None  # whatever the files hold, a cache that cannot be read is rebuilt, never trusted
    return None if rows is None or problems is None else CachedObjects(rows, problems)


def read_cache_files(folder: Path) -> CachedObjects | None:
    """This host's cache of a location, or None when there is none that can be trusted."""
    rows_path, problems_path = folder / ROWS_NAME, folder / PROBLEMS_NAME
    if not (rows_path.is_file() and problems_path.is_file()):
        return None
    return _cache_from(rows_path, problems_path)


def write_cache_files(folder: Path, rows: pd.DataFrame, problems: pd.DataFrame) -> Path | None:
    """Replace this host's cache (each file atomically); None when the folder cannot take it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)  # the operator's folder: theirs to place
        with closing(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)) as fd:
            replace_atomically(fd, ROWS_NAME, memoryview(cache.parquet_buffer(rows)), mode=0o644)
            replace_atomically(fd, PROBLEMS_NAME, memoryview(cache.parquet_buffer(problems)), mode=0o644)
    except OSError:
        return None  # loading still works, only every load is a cold one
    return folder


def read_shared_cache(store: S3Store) -> tuple[CachedObjects | None, list[Problem]]:
    """The cache `curation index` left in the bucket, signed with the hosts' key (curation.store.shared_state), or
    None: missing, no key, unreadable, or not signed with the key (then with a warning naming it)."""
    found: list[bytes] = []
    for name in ("cache/" + ROWS_NAME, "cache/" + PROBLEMS_NAME):
        try:
            data = store.get_shared(name)
        except StoreError:
            return None, []  # e.g. a reader that may not see .curation/: it parses instead
        except ValueError as error:  # not signed with the hosts' key: forged, changed, or another key's
            return None, [store.shared_problem(name, error, "the documents were read instead")]
        if data is None:
            return None, []
        found.append(data)
    return _cache_from(io.BytesIO(found[0]), io.BytesIO(found[1])), []


def write_shared_cache(store: S3Store, rows: pd.DataFrame, problems: pd.DataFrame) -> str | None:
    """Put the cache, signed, into `<prefix>/.curation/cache/` for every host; where the rows went, or None
    without the hosts' key (nothing is shared then)."""
    try:
        if store.put_shared("cache/" + PROBLEMS_NAME, cache.parquet_buffer(problems).to_pybytes()) is None:
            return None
        return store.put_shared("cache/" + ROWS_NAME, cache.parquet_buffer(rows).to_pybytes())
    except ValueError as error:  # a key too short to be a secret
        raise StoreError(store.name, f"the shared cache was not written: {error}") from None


def cache_bytes(folder: Path) -> int:
    """The size of this host's cache files of a location."""
    return sum((folder / name).stat().st_size for name in (ROWS_NAME, PROBLEMS_NAME) if (folder / name).exists())
