"""Where documents live: a folder or an S3 prefix, behind one interface (curation.store.base.Store).

`open_store` is the only code that tells an `s3://bucket/prefix` from a folder;
everything else works on the Store it returns. obstore is imported only when an
`s3://` location is opened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from curation.store.base import DocumentFile, DocumentWrite, Location, ObjectListing, Store, VersionChanged
from curation.store.local import LocalStore
from curation.store.s3 import S3Location, S3Store, is_s3_location

__all__ = [
    "DocumentFile", "DocumentWrite", "LocalStore", "Location", "ObjectListing", "S3Store", "Store", "VersionChanged",
    "default_docs_location", "is_s3_location", "open_store", "parse_location", "read_document_bytes",
]  # fmt: skip

DOCS_ENV = "CURATION_DOCS"
DEFAULT_DOCS = "seeds"  # the sample documents, beside app.py in a checkout


def default_docs_location(environment: Mapping[str, str] | None = None) -> Location:
    """Where the documents are when nobody says, for the command line and the dashboard alike:
    $CURATION_DOCS (a folder, or an `s3://bucket/prefix` kept as text), else seeds/ in the working folder."""
    configured = (os.environ if environment is None else environment).get(DOCS_ENV) or DEFAULT_DOCS
    return configured if is_s3_location(configured) else Path(configured)  # checked where it is used


def parse_location(text: str) -> Location:
    """A location as given on a command line or in $CURATION_DOCS: an `s3://bucket/prefix` stays text (a
    Path would fold its `//`; StoreError when it names no bucket), anything else is a folder's Path."""
    if is_s3_location(text):
        S3Location.parse(text)  # a StoreError when it names no bucket
        return text
    return Path(text)


def open_store(location: Location) -> Store:
    """The store a docs location names: `s3://bucket/prefix`, or a folder."""
    if is_s3_location(location):
        return S3Store(location)
    return LocalStore(Path(location))


def read_document_bytes(location: Location, doc_id: str) -> bytes:
    """One document's bytes from a folder or a bucket."""
    return open_store(location).read(doc_id)
