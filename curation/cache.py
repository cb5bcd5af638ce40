"""The parse cache: parsed rows and problems kept on disk, keyed by each file's stat.

A cached entry is reused only while the file's size, mtime_ns and ctime_ns
are what they were when it was parsed. Entries whose times are within
RACY_NS of the moment the cache was written are never stored: a file changed
again in the same clock tick would otherwise look unchanged (git's "racily
clean" problem). A cache that is missing, of another version, truncated or
unreadable in any way is ignored and rebuilt, never trusted.

The cache lives in `.curation/cache/` inside the docs folder, or under
$CURATION_CACHE_DIR (one subfolder per docs folder) for a read-only folder.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from curation.atomic_files import STATE_DIR, replace_atomically

CACHE_VERSION = "3"
CACHE_DIR_ENV = "CURATION_CACHE_DIR"
RACY_NS = 2_000_000_000
STAT_COLUMNS = ("size", "mtime_ns", "ctime_ns")
PROBLEM_COLUMNS = ("path", "line", "message", "kind", *STAT_COLUMNS)


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


def read_cache(folder: Path, columns: tuple[str, ...]) -> CachedParse | None:
    """The cached parse, or None when there is none that can be trusted."""
    rows_path, problems_path = _paths(folder)
    try:
        table = pq.read_table(rows_path)
        rows = table.drop_columns(["topics"]).to_pandas()
        # to_pylist gives real lists; pandas would hand back numpy arrays.
        rows.insert(list(columns).index("topics"), "topics", table.column("topics").to_pylist())
        problems = pd.read_parquet(problems_path)
    except Exception:
        return None
    if list(rows.columns) != [*columns, "ctime_ns"] or rows.index.name != "id":
        return None
    if list(problems.columns) != list(PROBLEM_COLUMNS):
        return None
    return CachedParse(rows, problems)


def write_cache(folder: Path, rows: pd.DataFrame, problems: pd.DataFrame) -> bool:
    """Store the parse, leaving out racily-clean entries; False when the folder cannot take it."""
    racy_after = time.time_ns() - RACY_NS
    settled_rows = rows[(rows["mtime_ns"] < racy_after) & (rows["ctime_ns"] < racy_after)]
    settled_problems = problems[(problems["mtime_ns"] < racy_after) & (problems["ctime_ns"] < racy_after)]
    rows_path, problems_path = _paths(folder)
    try:
        rows_path.parent.mkdir(parents=True, exist_ok=True)
        for path, frame in ((rows_path, settled_rows), (problems_path, settled_problems)):
            if not path.exists():
                path.touch()
            replace_atomically(path, frame.to_parquet(compression="zstd"))
    except OSError:
        return False  # e.g. a read-only docs folder: loading still works, only slower
    return True
