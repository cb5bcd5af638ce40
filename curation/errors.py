"""Exceptions raised by curation.

Every error names the document it is about, so a message can always say
which file to open:

    CurationError(path, line)      base; path relative to the docs folder
    ├── DocumentError              a file that is not a valid article document (.kind)
    ├── DocsFolderError            the docs folder is missing or not a folder
    ├── UnsafePathError            an id that does not map to a document inside the folder
    ├── PublishRefusedError        a document the line edit cannot change with certainty
    ├── ConflictError              the file changed since the editor saw it
    ├── ReadOnlyError              writing is switched off for this folder
    ├── InvalidValueError          a value an editor asked for that a field cannot take (path: the field)
    └── StoreError                 object storage refused or could not be reached (path: s3://bucket/key)
"""

from __future__ import annotations


class CurationError(Exception):
    """Something is wrong with one document; carries its path and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.location() + ": " + message)

    def location(self) -> str:
        """`path:line`, or just `path` when there is no line."""
        return f"{self.path}:{self.line}" if self.line else self.path


class DocumentError(CurationError):
    """A file is not a valid article document."""

    def __init__(self, path: str, message: str, line: int | None = None, *, kind: str = "invalid") -> None:
        super().__init__(path, message, line)
        self.kind = kind


class DocsFolderError(CurationError):
    """The docs folder is missing or is not a folder."""


class UnsafePathError(CurationError):
    """An id does not map to a regular document file inside the folder."""


class PublishRefusedError(CurationError):
    """The published flag of this file cannot be changed safely."""


class ConflictError(CurationError):
    """The file changed after the editor loaded it; nothing was written."""


class ReadOnlyError(CurationError):
    """Writing is switched off (CURATION_READ_ONLY)."""


class InvalidValueError(CurationError):
    """A new value that the field cannot take: too long, two lines, a control character."""


class StoreError(CurationError):
    """Object storage failed: a missing bucket, denied access, an unreachable endpoint, throttling."""
