"""`curation index`: parse every new or changed document and write the parse cache, here or on a Dask cluster.

On an S3 prefix the build lists the objects, reuses what the caches hold
for unchanged ETags, and parses the rest in partitions of keys: fetched
here and parsed in local worker processes by default
(curation.loading.objects.parse_partitions_locally), or on an existing Dask distributed cluster given by `--scheduler`
(or $DASK_SCHEDULER_ADDRESS). Each Dask worker GETs its partition's objects
itself (curation.loading.parsing.fetch_and_parse), many at a time, and sends back columns; the client merges them and
writes the cache once: this host's, and the shared one in
`<prefix>/.curation/cache/` that every other host reads when starting.
The workers need the same AWS settings (endpoint, credentials) as this host.

On a folder the build is a load (the folder's own cache); a cluster's
workers cannot see this machine's disk, so `--scheduler` is for S3 only.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from curation.errors import StoreError
from curation.loading.collection import load_collection
from curation.loading.objects import build_collection, parse_partitions_locally
from curation.loading.parsing import (
    PARALLEL_FROM,
    Parsed,
    Partition,
    PartitionParser,
    ProgressCallback,
    fetch_and_parse,
)
from curation.store import LocalStore, open_store

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass(frozen=True)
class IndexReport:
    """What one index build found and wrote."""

    location: str
    documents: int
    problems: int
    parsed: int  # objects fetched and parsed by this build (the rest came from a cache)
    reused_from: str  # "local", "shared", "none" or "folder"
    parsed_on: str  # "this process", "local processes", or the Dask scheduler's address
    seconds: float
    local_cache: str | None = None
    shared_cache: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def scheduler_address(given: str | None) -> str | None:
    """The Dask scheduler to use: given, else $DASK_SCHEDULER_ADDRESS, else none (local processes)."""
    return given or os.environ.get(SCHEDULER_ENV) or None


def build_index(
    location: Path | str, *, scheduler: str | None = None, progress: ProgressCallback | None = None
) -> IndexReport:
    """Parse what changed under a location and write its parse cache(s)."""
    start = time.perf_counter()
    if isinstance(open_store(location), LocalStore):
        if scheduler:
            raise ValueError("--scheduler needs an s3:// location: Dask workers cannot read this machine's folder")
        collection = load_collection(location, progress, refresh_cache=True)  # "into the cache", even one file
        return IndexReport(
            str(location), len(collection.frame), len(collection.problems), collection.parsed, "folder",
            "this process" if collection.parsed < PARALLEL_FROM else "local processes", time.perf_counter() - start,
        )  # fmt: skip
    parser = dask_parser(scheduler) if scheduler else parse_partitions_locally
    load = build_collection(location, progress, parser=parser, write_shared=True)
    collection = load.collection
    parsed_on = scheduler or ("local processes" if load.fetched >= PARALLEL_FROM else "this process")
    return IndexReport(
        str(location), len(collection.frame), len(collection.problems), load.fetched, load.cache_source,
        parsed_on, time.perf_counter() - start,
        str(load.local_cache) if load.local_cache else None, load.shared_cache,
    )  # fmt: skip


def dask_parser(address: str) -> PartitionParser:
    """Parse partitions on the Dask cluster at `address` (or a LocalCluster's scheduler_address)."""

    def parse(location: str, partitions: list[Partition], progress: ProgressCallback | None) -> list[Parsed]:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise StoreError(location, "--scheduler needs Dask: pip install -e '.[dask]'") from None
        total = sum(len(partition) for partition in partitions)
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise StoreError(location, f"cannot reach the Dask scheduler at {address}: {error}") from None
        with client:
            # pure=False: two partitions with the same keys are still two tasks (objects may change between builds).
            futures = client.map(fetch_and_parse, [location] * len(partitions), partitions, pure=False)
            number_of = {future.key: number for number, future in enumerate(futures)}
            done: dict[int, Parsed] = {}
            fetched = 0
            for future in as_completed(futures):
                number = number_of[future.key]
                done[number] = future.result()
                fetched += len(partitions[number])
                if progress is not None:
                    progress(fetched, total)
        return [done[number] for number in range(len(partitions))]

    return parse
