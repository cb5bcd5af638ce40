"""One small state file the team shares, replaced whole under a conflict guard: `.curation/<name>` in a folder,
`<prefix>/.curation/<name>` in a bucket.

`read_state_file` gives its bytes (None when there is none) and a version tag;
`update_state_file` applies a change to the newest bytes and writes the result
so that two writers at once lose nothing:
- in a folder, under an flock of a lock file in `.curation/locks/` (the same
  locks documents use), the file is read again, changed, and replaced
  atomically (curation.store.atomic_files); `.curation/` and the file are
  reached from the folder's descriptor without following a link;
- in a bucket, the PUT carries `If-Match: <the ETag read>` (`If-None-Match: *`
  when there was none); on a 412 another writer got there first, so the
  object is read again and the change applied again to what it wrote.

Either way the change function sees the newest bytes every time it is called
and may raise to refuse (a conflict it names). Every read is capped at
`limit` bytes: the file is other people's input.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from curation.errors import CurationError, StoreError, UnsafePathError
from curation.store.atomic_files import document_lock, replace_atomically
from curation.store.base import Location
from curation.store.folder import STATE_DIR, DocsFolder, closing, open_file, read_file
from curation.store.s3 import Failure, S3Store, _client_errors, _conflict, _is_a, _missing, is_s3_location

PUT_TRIES = 20  # conditional PUTs lost in a row before giving up (each loss means another writer succeeded)


class StateFileError(CurationError):
    """A shared state file that cannot be used: a link, not a file, too large, unreadable (path: where it is)."""


@dataclass(frozen=True)
class StateFile:
    """A state file's bytes as read (None: there is none yet), its version tag and where it is, to show."""

    raw: bytes | None
    version: str  # "" when there is none; a folder's `inode:size:mtime_ns`, a bucket's ETag
    shown: str  # `.curation/views.json` under the folder, or the object's s3:// URL


def state_file_address(location: Location, name: str) -> str:
    """Where the state file `name` is, as an editor would look it up."""
    if is_s3_location(location):
        store = S3Store(str(location))
        return store.location.url(store.state_key(name))
    return str(Path(location) / STATE_DIR / name)


def read_state_file(location: Location, name: str, limit: int, known: StateFile | None = None) -> StateFile:
    """The state file's bytes and version; `known` back when it is still that version (nothing read again)."""
    if is_s3_location(location):
        return _read_object(S3Store(str(location)), name, limit, known)
    with DocsFolder(location) as docs:
        try:
            with docs.state_folder() as state:
                return _read_at(state, name, state_file_address(location, name), limit, known)
        except UnsafePathError as error:
            if error.path == STATE_DIR and error.message == "does not exist":
                return StateFile(None, "", state_file_address(location, name))
            raise StateFileError(error.path, error.message) from None


def update_state_file(
    location: Location, name: str, limit: int, change: Callable[[StateFile], bytes]
) -> tuple[StateFile, StateFile]:
    """Apply `change` to the newest version and write what it returns; (the version changed, the one written)."""
    if is_s3_location(location):
        return _update_object(S3Store(str(location)), name, limit, change)
    shown = state_file_address(location, name)
    with DocsFolder(location) as docs:
        try:
            with document_lock(docs, f"{STATE_DIR}/{name}"), docs.state_folder(create=True) as state:
                current = _read_at(state, name, shown, limit)
                data = change(current)
                try:
                    written = replace_atomically(state, name, data)
                except OSError as error:
                    raise StateFileError(shown, f"could not be written ({error.strerror}); it is unchanged") from None
        except UnsafePathError as error:
            raise StateFileError(error.path, error.message) from None
    return current, StateFile(data, _folder_version(written), shown)


def _folder_version(info: os.stat_result) -> str:
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _read_at(state: int, name: str, shown: str, limit: int, known: StateFile | None = None) -> StateFile:
    try:
        info = os.stat(name, dir_fd=state, follow_symlinks=False)
    except FileNotFoundError:
        return StateFile(None, "", shown)
    if known is not None and known.version == _folder_version(info):
        return known  # replaced atomically: the same inode, size and mtime are the same bytes
    try:
        fd = open_file(state, name, os.O_RDONLY, shown)
    except UnsafePathError as error:
        if error.message == "does not exist":  # removed since the stat
            return StateFile(None, "", shown)
        raise StateFileError(shown, error.message) from None
    with closing(fd):
        raw, info = read_file(fd, limit), os.fstat(fd)
    if len(raw) > limit:
        raise _too_large(shown, max(info.st_size, len(raw)), limit)
    return StateFile(raw, _folder_version(info), shown)


def _too_large(shown: str, size: int, limit: int) -> StateFileError:
    return StateFileError(shown, f"is {size:,} bytes, more than the {limit:,} it may be; it was not read: "
                                 "move it away (it is not a file this program wrote)")  # fmt: skip


def _read_object(store: S3Store, name: str, limit: int, known: StateFile | None) -> StateFile:
    import obstore

    key = store.state_key(name)
    shown = store.location.url(key)
    options = {"if_none_match": known.version} if known is not None and known.version else None
    try:
        result = obstore.get(store.client, key, options=options)
        etag, size = result.meta["e_tag"] or "", int(result.meta["size"])
        if size > limit:
            raise _too_large(shown, size, limit)  # the body is never read
        return StateFile(result.bytes().to_bytes(), etag, shown)
    except _client_errors() as error:
        if known is not None and _is_a(error, "NotModifiedError"):
            return known
        if _missing(error):
            return StateFile(None, "", shown)
        raise store._fail(error, key, f"reading {STATE_DIR}/{name}") from None


def _update_object(
    store: S3Store, name: str, limit: int, change: Callable[[StateFile], bytes]
) -> tuple[StateFile, StateFile]:
    import obstore

    key = store.state_key(name)
    for _ in range(PUT_TRIES):
        current = _read_object(store, name, limit, None)
        data = change(current)
        mode = {"e_tag": current.version} if current.raw is not None else "create"
        try:
            result = obstore.put(store.client, key, data, mode=mode, attributes={"Content-Type": "application/json"})
        except _client_errors() as error:
            if _conflict(error) or _missing(error) or Failure.of(error).code == "ConditionalRequestConflict":
                continue  # another writer's PUT landed after our GET: apply the change to theirs
            raise store._fail(error, key, f"writing {STATE_DIR}/{name}") from None
        return current, StateFile(data, result["e_tag"] or "", current.shown)
    raise StoreError(store.location.url(key), f"{PUT_TRIES} writers changed it while this one tried; try again")
