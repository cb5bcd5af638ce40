"""Exceptions raised by curation.

An error about a document names it, so the message can say which file to
open; an error about a request (a filter, an export, a command line) has no
location and is its message alone:

    CurationError(path, line)      base; path relative to the docs folder, or None
    ├── DocumentError              a file that is not a valid article document (.kind)
    ├── DocsFolderError            the docs folder is missing or not a folder
    ├── UnsafePathError            an id that does not map to a document inside the folder
    ├── PublishRefusedError        a document the line edit cannot change with certainty
    ├── ConflictError              the file changed since the editor saw it
    ├── ReadOnlyError              writing is switched off for this folder
    ├── InvalidValueError          a value an editor asked for that a field cannot take (path: the field)
    ├── StoreError                 object storage refused or could not be reached (path: s3://bucket/key)
    ├── StateFileError             a shared state file (.curation/views.json) that cannot be used
    │                              (curation.store.state_file)
    └── RequestError               what was asked for cannot be done; no location
        ├── FilterError            a filter value that cannot be applied (curation.query.filters; also a ValueError)
        ├── ExportError            columns the frame does not have (curation.query.export; also a ValueError)
        ├── UsageError             a command line that cannot be run as written (curation.cli)
        ├── EditorNameError        a name that cannot go into the audit log (curation.audit)
        └── ViewNameError, UnknownViewError, ViewConflictError, BrokenViewError
                                   a saved view that cannot be saved or used (curation.query.saved_views)
"""

from __future__ import annotations


def format_location(path: str, line: int | None) -> str:
    """`path:line`, or just `path` when there is no line: how an error and a Problem name their place."""
    return f"{path}:{line}" if line else path


class CurationError(Exception):
    """Something is wrong; carries the path and line of the document it is about, when it is about one."""

    def __init__(self, path: str | None, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(message if path is None else f"{format_location(path, line)}: {message}")

    def location(self) -> str | None:
        """`path:line`, just `path` when there is no line, None when the error is about no document."""
        return None if self.path is None else format_location(self.path, self.line)


class RequestError(CurationError):
    """An error about what was asked for rather than about a document: its message alone, no location."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


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


class EditorNameError(RequestError):
    """An editor's name that cannot be logged: a control or bidi character, or too long."""


def os_reason(error: OSError) -> str:
    """An OSError as a short reason for a message, with the file it names."""
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"
