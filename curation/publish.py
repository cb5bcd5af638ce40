"""Set an article's published flag by rewriting one line of its file, safely.

Every write goes through `set_published`:
1. the id must name a regular document file inside the folder (no links);
2. under the document's lock, the file is re-read and its sha256 compared
   with the one the editor saw (a ConflictError if it changed);
3. only the top-level `published:` line is rewritten (or one line inserted),
   and the result is parsed again to prove nothing else moved;
4. the new bytes replace the old atomically, and one audit line is appended.
Requests set a value; they never flip one.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from curation.access import READ_ONLY_ENV, is_read_only
from curation.atomic_files import document_lock, replace_atomically
from curation.audit import audit_appender, audit_log_path, new_entry, read_audit_log
from curation.collection import is_document_name
from curation.documents import (
    UTF8_BOM,
    FrontMatter,
    article_fields,
    parse_front_matter,
    sha256_of,
)
from curation.errors import (
    ConflictError,
    CurationError,
    DocumentError,
    PublishRefusedError,
    ReadOnlyError,
    UnsafePathError,
)

# PyYAML (YAML 1.1) reads all of these as booleans.
YAML_BOOLEANS = {
    word: value
    for value, words in ((True, ("true", "yes", "on")), (False, ("false", "no", "off")))
    for base in words
    for word in (base, base.capitalize(), base.upper())
}
_PUBLISHED_LINE = re.compile(r"published(?P<separator>[ \t]*:[ \t]+)(?P<value>\S+?)(?P<rest>(?:[ \t]+#.*)?[ \t]*)")


@dataclass(frozen=True)
class Change:
    """What one set_published call did to one file."""

    id: str
    old: bool
    new: bool
    sha_before: str
    sha_after: str
    entry: dict[str, Any] | None  # the audit entry, None when nothing changed

    @property
    def changed(self) -> bool:
        return self.entry is not None


@dataclass(frozen=True)
class Outcome:
    """One id's result in a bulk request: changed, unchanged, conflict or refused."""

    id: str
    status: str
    message: str = ""
    change: Change | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("conflict", "refused")


def resolve_document(folder: Path, doc_id: str) -> Path:
    """The regular file inside the folder that an id names, or UnsafePathError."""
    parts = doc_id.split("/")
    unsafe = (
        not doc_id
        or "\\" in doc_id
        or "\x00" in doc_id
        or PurePosixPath(doc_id).is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        or not is_document_name(parts[-1])
    )
    if unsafe:
        raise UnsafePathError(doc_id, "not a document id: use the path relative to the docs folder")
    path = folder
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise UnsafePathError(doc_id, "no such document in the docs folder") from None
        if stat.S_ISLNK(mode):
            raise UnsafePathError(doc_id, "is a symbolic link; links are never written through")
    if not stat.S_ISREG(mode):
        raise UnsafePathError(doc_id, "is not a regular file")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise UnsafePathError(doc_id, "lies outside the docs folder")
    return path


def edit_published(raw: bytes, value: bool, path: str) -> bytes:
    """The file's bytes with its top-level published flag set; every other byte kept.

    Raises DocumentError for an invalid document and PublishRefusedError when
    the edit cannot be made with certainty.
    """
    return _edit(raw, value, path)[1]


def _edit(raw: bytes, value: bool, path: str) -> tuple[bool, bytes]:
    """(the flag the file had, the edited bytes), from one parse of the file."""
    before = parse_front_matter(raw, path)
    old = article_fields(before, path)["published"]  # a problem document raises here
    if old is value:
        return old, raw  # already so: `published: yes` stays as the editor wrote it
    text = before.text
    line_number = before.line_of("published")
    if line_number is not None:
        start, end = _line_span(text, line_number)
        content = text[start:end].removesuffix("\r")
        match = _PUBLISHED_LINE.fullmatch(content)
        if match is None or match["value"] not in YAML_BOOLEANS:
            raise PublishRefusedError(
                path,
                "`published:` is not a plain true/false on one line; write it as `published: true` and try again",
                line_number,
            )
        new_line = "published" + match["separator"] + ("true" if value else "false") + match["rest"]
        new_text = text[:start] + new_line + text[start + len(content) :]
    else:
        new_text = _insert_published(before, value)
    bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
    new_raw = bom + new_text.encode("utf-8")
    _check_only_published_changed(before, new_raw, value, path)
    return old, new_raw


def _line_span(text: str, line_number: int) -> tuple[int, int]:
    """Offsets of a 1-based line's content, without its `\\n`."""
    start = 0
    for _ in range(line_number - 1):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _insert_published(front_matter: FrontMatter, value: bool) -> str:
    text = front_matter.text
    newline = "\r\n" if text[: text.find("\n") + 1].endswith("\r\n") else "\n"
    line = f"published: {'true' if value else 'false'}{newline}"
    heat_line = front_matter.line_of("heat")
    if heat_line is not None and "heat" in front_matter.single_line_keys:
        _, heat_end = _line_span(text, heat_line)
        at = heat_end + 1
    else:
        at = front_matter.yaml_end  # before the closing `---`
    return text[:at] + line + text[at:]


def _check_only_published_changed(before: FrontMatter, new_raw: bytes, value: bool, path: str) -> None:
    try:
        after = parse_front_matter(new_raw, path)
    except DocumentError as error:
        raise PublishRefusedError(path, f"the edit would break the file ({error.message})", error.line) from None
    old = {key: item for key, item in before.data.items() if key != "published"}
    new = {key: item for key, item in after.data.items() if key != "published"}
    same_body = before.text[before.yaml_end :] == after.text[after.yaml_end :]
    if old != new or after.data.get("published") is not value or not same_body:
        raise PublishRefusedError(path, "the edit would change more than `published`; edit this file by hand")


def set_published(
    folder: Path | str,
    doc_id: str,
    value: bool,
    *,
    expected_sha: str | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
    undoes: str | None = None,
) -> Change:
    """Set one document's published flag; raises a CurationError and writes nothing on refusal."""
    if not isinstance(value, bool):
        raise TypeError("value must be True or False")
    folder = Path(folder)
    if is_read_only():
        raise ReadOnlyError(doc_id, f"writing is switched off ({READ_ONLY_ENV} is set)")
    path = resolve_document(folder, doc_id)
    with document_lock(folder, doc_id):
        raw = path.read_bytes()
        sha_before = sha256_of(raw)
        if expected_sha is not None and expected_sha != sha_before:
            raise ConflictError(
                doc_id, "changed on disk since you loaded it; nothing was written, reload to see the new version"
            )
        try:
            old, new_raw = _edit(raw, value, doc_id)
        except DocumentError as error:
            raise PublishRefusedError(doc_id, f"cannot be published until fixed: {error.message}", error.line) from None
        if new_raw == raw:
            return Change(doc_id, old, value, sha_before, sha_before, None)
        entry = new_entry(
            editor=editor,
            id=doc_id,
            old=old,
            new=value,
            sha_before=sha_before,
            sha_after=sha256_of(new_raw),
        )
        if undoes:
            entry["undoes"] = undoes
        _replace_and_log(path, raw, new_raw, audit_log_path(folder, audit_log), entry, doc_id)
        return Change(doc_id, old, value, sha_before, entry["sha_after"], entry)


def _replace_and_log(path: Path, raw: bytes, new_raw: bytes, log: Path, entry: dict[str, Any], doc_id: str) -> None:
    """Write the new bytes and their audit line, or neither: a change is never left unlogged."""
    with ExitStack() as stack:
        try:
            append = stack.enter_context(audit_appender(log))  # opened before the file changes
        except OSError as error:
            raise PublishRefusedError(
                doc_id, f"cannot open the audit log {log} ({error}); nothing was written"
            ) from None
        try:
            replace_atomically(path, new_raw)
        except OSError as error:
            raise PublishRefusedError(doc_id, f"could not write the file ({error}); it is unchanged") from None
        try:
            append(entry)
        except OSError as error:
            replace_atomically(path, raw)  # put the old bytes back: no change without its log line
            raise PublishRefusedError(
                doc_id, f"could not write the audit log {log} ({error}); the change was undone"
            ) from None


def set_published_many(
    folder: Path | str,
    doc_ids: Iterable[str],
    value: bool,
    *,
    expected_shas: Mapping[str, str] | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
) -> list[Outcome]:
    """Set many documents independently; one failure neither stops nor undoes the rest."""
    return [
        _outcome(
            folder,
            doc_id,
            value,
            expected_sha=expected_shas.get(doc_id) if expected_shas else None,
            editor=editor,
            audit_log=audit_log,
        )
        for doc_id in doc_ids
    ]


def _outcome(folder: Path | str, doc_id: str, value: bool, **options: Any) -> Outcome:
    """set_published, with its refusals turned into an Outcome."""
    try:
        change = set_published(folder, doc_id, value, **options)
    except ConflictError as error:
        return Outcome(doc_id, "conflict", str(error))
    except CurationError as error:
        return Outcome(doc_id, "refused", str(error))
    return Outcome(doc_id, "changed" if change.changed else "unchanged", change=change)


def undoable_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes that can still be undone, newest first (undos themselves are skipped)."""
    undone = {entry["undoes"] for entry in entries if entry.get("undoes")}
    return [e for e in reversed(entries) if not e.get("undoes") and e["change"] not in undone]


def undo_entry(
    folder: Path | str, entry: dict[str, Any], *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> Outcome:
    """Set the logged old value back, refusing if the file changed after that change."""
    return _outcome(
        folder, entry["id"], bool(entry["old"]),
        expected_sha=entry["sha_after"], editor=editor, audit_log=audit_log, undoes=entry["change"],
    )  # fmt: skip


def undo_last(
    folder: Path | str, count: int = 1, *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> list[Outcome]:
    """Undo the newest `count` changes that are not undone yet, newest first."""
    entries, _ = read_audit_log(audit_log_path(Path(folder), audit_log))
    newest = undoable_entries(entries)[:count]
    return [undo_entry(folder, entry, editor=editor, audit_log=audit_log) for entry in newest]


def undo_change(
    folder: Path | str, change_id: str, *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> Outcome:
    """Undo one logged change by its change id."""
    entries, _ = read_audit_log(audit_log_path(Path(folder), audit_log))
    for entry in entries:
        if entry["change"] == change_id:
            return undo_entry(folder, entry, editor=editor, audit_log=audit_log)
    return Outcome(change_id, "refused", f"no change {change_id} in the audit log")
