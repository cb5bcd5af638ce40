"""A docs location -> its Collection: a folder's files or an S3 prefix's objects, the same frame."""

from __future__ import annotations

from curation.loading.folder import load_folder
from curation.loading.frame import Collection
from curation.loading.freed_memory import give_back_freed_memory
from curation.loading.gc_pause import cyclic_gc_paused
from curation.loading.objects import load_objects
from curation.loading.parsing import ProgressCallback
from curation.store import LocalStore, Location, open_store
from curation.store.local import check_docs_folder

__all__ = ["Collection", "load_collection"]


def load_collection(
    location: Location,
    progress: ProgressCallback | None = None,
    *,
    use_cache: bool = True,
    refresh_cache: bool = False,
    baseline: bool = False,
) -> Collection:
    """Load every document of a folder or an S3 prefix: cached rows for unchanged ones, parsing the rest.

    A folder's cache is rewritten once REWRITE_CACHE_FROM files were parsed or dropped again (a few
    changed files cost less to parse at each load than a rewrite); `refresh_cache` rewrites it after
    any change. `baseline` keeps what a folder's scan saw for a live collection (Collection.baseline).
    Only `open_store` tells the two kinds of location apart.
    """
    store = open_store(location)
    try:
        if not isinstance(store, LocalStore):  # an S3 prefix
            return load_objects(str(location), progress, use_cache=use_cache)
        with cyclic_gc_paused():
            return load_folder(check_docs_folder(store.folder), progress, use_cache, refresh_cache, baseline)
    finally:
        give_back_freed_memory()
