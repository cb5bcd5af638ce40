"""Where documents live: a folder or an S3 prefix, behind one interface (curation.store.base.Store).

`open_store` is the only code that tells an `s3://bucket/prefix` from a folder;
everything else works on the Store it returns. boto3 is imported only when an
`s3://` location is opened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from curation.store.base import DocumentFile, DocumentWrite, Location, ObjectListing, Store, VersionChanged
from curation.store.local import LocalStore
from curation.store.s3 import S3Store, is_s3_location

__all__ = [
    "DocumentFile", "DocumentWrite", "LocalStore", "Location", "ObjectListing", "S3Store", "Store", "VersionChanged",
    "default_docs_location", "is_s3_location", "open_store", "read_document_bytes",
]  # fmt: skip

DOCS_ENV = "CURATION_DOCS"
DEFAULT_DOCS = "seeds"  # the sample documents, beside app.py in a checkout


def default_docs_location(environment: Mapping[str, str] | None = None) -> Location:
    """Where the documents are when nobody says, for the command line and the dashboard alike:
    $CURATION_DOCS (a folder, or an `s3://bucket/prefix` kept as text), else seeds/ in the working folder."""
    configured = (os.environ if environment is None else environment).get(DOCS_ENV)
    if is_s3_location(configured):
        return configured
    return Path(configured or DEFAULT_DOCS)


def open_store(location: Location) -> Store:
    """The store a docs location names: `s3://bucket/prefix`, or a folder."""
    if is_s3_location(location):
        return S3Store(location)
    return LocalStore(Path(location))


def read_document_bytes(location: Location, doc_id: str) -> bytes:
    """One document's bytes from a folder or a bucket."""
    return open_store(location).read(doc_id)
