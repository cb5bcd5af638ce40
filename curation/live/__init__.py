"""The collection a server process holds for a folder or an S3 prefix, kept current as documents change."""

from __future__ import annotations

from curation.live.folder import LiveCollection
from curation.live.objects import LiveObjects
from curation.store import LocalStore, Location, open_store

__all__ = ["LiveCollection", "LiveObjects", "open_live"]


def open_live(location: Location) -> LiveCollection | LiveObjects:
    """The live collection of a folder (watched by inotify or polling) or of a prefix (watched by listings)."""
    store = open_store(location)
    return LiveCollection(store.folder) if isinstance(store, LocalStore) else LiveObjects(str(location))
