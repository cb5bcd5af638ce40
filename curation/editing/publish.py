"""Set an article's published flag (or another field) by rewriting one line of its file, safely.

Every write goes through `_write_change`, in a folder or a bucket alike
(curation.store):
1. the id must be a relative document path; in a folder, the docs folder is
   opened once and every component below it is opened from a descriptor,
   never through a link (curation.store.folder);
2. the document is read (in a folder under its lock; in a bucket with its
   ETag) and its sha256 compared with the one the editor saw (a
   ConflictError if it changed);
3. only the top-level `published:` line is rewritten (or one line inserted),
   and the result is parsed again to prove nothing else moved;
4. the audit entry is written first, then the new bytes replace the old
   atomically (curation.audit explains why that order is safe); in a bucket
   the PUT is conditional on the ETag read (curation.store.s3).
Requests set a value; they never flip one. An undo restores the exact bytes
of the line the change rewrote, or removes the line it inserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from curation.access import READ_ONLY_ENV, is_read_only
from curation.audit import (
    FIELD_CHECKS,
    AuditEntry,
    AuditHistory,
    check_editor_name,
    new_batch_id,
    new_entry,
)
from curation.documents import (
    UTF8_BOM,
    FrontMatter,
    article_fields,
    parse_front_matter,
    sha256_of,
)
from curation.editing.field_edits import Edit, check_only_field_changed, check_value, edit_field
from curation.errors import (
    ConflictError,
    CurationError,
    DocumentError,
    PublishRefusedError,
    ReadOnlyError,
    os_reason,
)
from curation.problems import Problem
from curation.store import Location, Store, VersionChanged, open_store
from curation.store.folder import check_document_id

# PyYAML (YAML 1.1) reads all of these as booleans.
YAML_BOOLEANS = {
    word: value
    for value, words in ((True, ("true", "yes", "on")), (False, ("false", "no", "off")))
    for base in words
    for word in (base, base.capitalize(), base.upper())
}
WRITE_ATTEMPTS = 3  # in a bucket, without an expected sha: tries on a version another host wrote meanwhile
_PUBLISHED_LINE = re.compile(r"published(?P<separator>[ \t]*:[ \t]+)(?P<value>\S+?)(?P<rest>(?:[ \t]+#.*)?[ \t]*)")


@dataclass(frozen=True)
class Change:
    """What one write did to one file."""

    id: str
    old: Any
    new: Any
    sha_before: str
    sha_after: str
    entry: AuditEntry | None  # the audit entry, None when nothing changed
    size: int  # the file's size and mtime now, so a caller can update its copy without a stat
    mtime_ns: int
    version: str | None = None  # in a bucket, the ETag written: a watcher knows the change as ours

    @property
    def changed(self) -> bool:
        return self.entry is not None


class OutcomeStatus(StrEnum):
    """What a request did to one document; compares equal to, and prints as, its word."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"  # already so, or undone already
    CONFLICT = "conflict"  # the file changed since the editor saw it; left alone
    REFUSED = "refused"


@dataclass(frozen=True)
class Outcome:
    """One id's result in a bulk request: changed, unchanged, conflict or refused."""

    id: str
    status: OutcomeStatus
    message: str = ""
    change: Change | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", OutcomeStatus(self.status))  # a plain word is checked and typed

    @property
    def failed(self) -> bool:
        return self.status in (OutcomeStatus.CONFLICT, OutcomeStatus.REFUSED)


def published_edit(raw: bytes, value: bool, path: str) -> Edit:
    """The edit that sets the top-level published flag (its `raw` keeps every other byte), from one parse.

    Raises DocumentError for an invalid document and PublishRefusedError when
    the edit cannot be made with certainty.
    """
    before = parse_front_matter(raw, path)
    old = article_fields(before, path)["published"]  # a problem document raises here
    if old is value:
        return Edit("published", old, value, raw)  # already so: `published: yes` stays as the editor wrote it
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
        carriage = "\r" if text[start:end].endswith("\r") else ""
        edit_line, old_line, new_line = line_number, content + carriage, new_line + carriage
    else:
        new_text, edit_line, new_line = _insert_published(before, value)
        old_line = None
    bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
    new_raw = bom + new_text.encode("utf-8")
    _check_only_published_changed(before, new_raw, value, path)
    return Edit("published", old, value, new_raw, edit_line, old_line, new_line)


def _line_span(text: str, line_number: int) -> tuple[int, int]:
    """Offsets of a 1-based line's content, without its `\\n`."""
    start = 0
    for _ in range(line_number - 1):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _insert_published(front_matter: FrontMatter, value: bool) -> tuple[str, int, str]:
    """(the text with a `published:` line inserted, that line's number, its exact text)."""
    text = front_matter.text
    newline = "\r\n" if text[: text.find("\n") + 1].endswith("\r\n") else "\n"
    content = f"published: {'true' if value else 'false'}"
    heat_line = front_matter.line_of("heat")
    if heat_line is not None and "heat" in front_matter.single_line_keys:
        _, heat_end = _line_span(text, heat_line)
        at = heat_end + 1
    else:
        at = front_matter.yaml_end  # before the closing `---`
    return text[:at] + content + newline + text[at:], text.count("\n", 0, at) + 1, content + newline[:-1]


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
    location: Location,
    doc_id: str,
    value: bool,
    *,
    expected_sha: str | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
    batch: str | None = None,
    check: Callable[[bytes], None] | None = None,
    entry_fields: Mapping[str, str] | None = None,
) -> Change:
    """Set one document's published flag; raises a CurationError and writes nothing on refusal.

    `check(raw)`, when given, sees the document's bytes as they are written from (in a folder under its lock,
    in a bucket before the conditional PUT) and raises to write nothing; `entry_fields` go into the audit entry
    (a scheduled change's `schedule` and `scheduled_by`).
    """
    if not isinstance(value, bool):
        raise TypeError("value must be True or False")

    def edit(raw: bytes) -> Edit:
        if check is not None:
            check(raw)
        return published_edit(raw, value, doc_id)

    return _write_change(
        location, doc_id, edit, expected_sha=expected_sha, editor=editor, audit_log=audit_log, batch=batch,
        action="be published" if value else "be unpublished", entry_fields=entry_fields,
    )  # fmt: skip


def set_field(
    location: Location,
    doc_id: str,
    field: str,
    value: Any,
    *,
    expected_sha: str | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
    batch: str | None = None,
) -> Change:
    """Set `title`, `excerpt`, `category`, `type` or `topics` of one document, rewriting only its lines."""
    check_value(field, value)  # a bad value is refused before any file is opened
    return _write_change(
        location, doc_id, lambda raw: edit_field(raw, field, value, doc_id), expected_sha=expected_sha, editor=editor,
        audit_log=audit_log, batch=batch, action=f"be given a new {field}",
    )  # fmt: skip


def change_topics(
    location: Location,
    doc_id: str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    expected_sha: str | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
    batch: str | None = None,
) -> Change:
    """Add and remove topics of one document (added ones go last; a topic is listed once)."""
    added, removed = check_value("topics", list(add)), set(check_value("topics", list(remove)))
    return _write_change(
        location, doc_id, lambda raw: edit_field(raw, "topics", lambda now: topics_after(now, added, removed), doc_id),
        expected_sha=expected_sha, editor=editor, audit_log=audit_log, batch=batch, action="be given new topics",
    )  # fmt: skip


def topics_after(current: list[str], added: list[str], removed: set[str]) -> list[str]:
    """The topics a document has after `change_topics`: the removed ones gone, the added ones last, each once.
    InvalidValueError when the result cannot be written (a topic in the file that is not valid)."""
    return check_value("topics", [topic for topic in current if topic not in removed] + added)


def _write_change(
    location: Location,
    doc_id: str,
    make_edit: Callable[[bytes], Edit],
    *,
    expected_sha: str | None,
    editor: str,
    audit_log: Path | str | None,
    undoes: str | None = None,
    batch: str | None = None,
    action: str = "be changed",
    entry_fields: Mapping[str, str] | None = None,
) -> Change:
    """Read, check the sha, edit, log, replace if unchanged: the one way a document is written, in any store.
    `action` says what a problem document cannot have done ("cannot be published until fixed").

    In a bucket, another host may write between our read and our PUT: without
    an expected sha the request is tried again on the new version (it sets a
    value, so that is what the lock gives on disk); with one, it is a conflict.
    """
    if is_read_only():
        raise ReadOnlyError(doc_id, f"writing is switched off ({READ_ONLY_ENV} is set)")
    check_document_id(doc_id)
    check_editor_name(editor)  # before any file is opened
    store = open_store(location)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _write_once(
                store, doc_id, make_edit, expected_sha, editor, audit_log, undoes, batch, action, entry_fields or {}
            )
        except VersionChanged:
            if expected_sha is not None or attempt == WRITE_ATTEMPTS:
                raise ConflictError(doc_id, _changed_message(store)) from None
    raise AssertionError("unreachable")


def _changed_message(store: Store) -> str:
    return f"changed {store.changed_where} since you loaded it; nothing was written, reload to see the new version"


def _write_once(
    store: Store,
    doc_id: str,
    make_edit: Callable[[bytes], Edit],
    expected_sha: str | None,
    editor: str,
    audit_log: Path | str | None,
    undoes: str | None,
    batch: str | None,
    action: str,
    entry_fields: Mapping[str, str],
) -> Change:
    try:
        with store.writer(doc_id, audit_log) as document:
            raw = document.read()
            sha_before = sha256_of(raw)
            if expected_sha is not None and expected_sha != sha_before:
                raise ConflictError(doc_id, _changed_message(store))
            try:
                edit = make_edit(raw)
            except DocumentError as error:
                raise PublishRefusedError(doc_id, f"cannot {action} until fixed: {error.message}", error.line) from None
            if edit.raw == raw:
                return Change(doc_id, edit.old, edit.new, sha_before, sha_before, None, document.size,
                              document.mtime_ns)  # fmt: skip
            entry = new_entry(
                editor=editor, id=doc_id, field=edit.field, old=edit.old, new=edit.new, sha_before=sha_before,
                sha_after=sha256_of(edit.raw), line=edit.line, before=edit.before, after=edit.after,
                undoes=undoes, batch=batch, **entry_fields,
            )  # fmt: skip
            document.log(entry)  # first: a change is never left without its entry
            size, mtime_ns = document.replace(edit.raw)
            return Change(doc_id, entry.old, entry.new, sha_before, entry.sha_after, entry, size, mtime_ns,
                          document.written_version)  # fmt: skip
    except OSError as error:  # a lock folder we may not write, a name too long, ...
        raise PublishRefusedError(doc_id, f"nothing was written: {os_reason(error)}") from None


def set_published_many(
    location: Location,
    doc_ids: Iterable[str],
    value: bool,
    *,
    expected_shas: Mapping[str, str] | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
) -> list[Outcome]:
    """Set many documents independently; one failure neither stops nor undoes the rest.

    The changes of one request share a `batch` id in the audit log.
    """
    return write_many(
        doc_ids, lambda doc_id, **options: set_published(location, doc_id, value, **options),
        expected_shas=expected_shas, editor=editor, audit_log=audit_log,
    )  # fmt: skip


def write_many(
    doc_ids: Iterable[str],
    write: Callable[..., Change],
    *,
    expected_shas: Mapping[str, str] | None = None,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
) -> list[Outcome]:
    """`write(doc_id, expected_sha=, editor=, audit_log=, batch=)` for each id: one outcome per id, one batch id."""
    doc_ids = list(doc_ids)
    batch = new_batch_id() if len(doc_ids) > 1 else None

    def one(doc_id: str) -> Change:
        expected = expected_shas.get(doc_id) if expected_shas else None
        return write(doc_id, expected_sha=expected, editor=editor, audit_log=audit_log, batch=batch)

    return [_outcome(doc_id, lambda doc_id=doc_id: one(doc_id)) for doc_id in doc_ids]


def _outcome(doc_id: str, write: Callable[[], Change]) -> Outcome:
    """A write, with its refusals (and any OS error) turned into an Outcome for that id."""
    try:
        change = write()
    except ConflictError as error:
        return Outcome(doc_id, OutcomeStatus.CONFLICT, str(error))
    except CurationError as error:
        return Outcome(doc_id, OutcomeStatus.REFUSED, str(error))
    except OSError as error:
        return Outcome(doc_id, OutcomeStatus.REFUSED, f"{doc_id}: {os_reason(error)}")
    status = OutcomeStatus.CHANGED if change.changed else OutcomeStatus.UNCHANGED
    return Outcome(doc_id, status, change=change)


def current_sha(location: Location, doc_id: str) -> str | None:
    """A document's sha256 now, or None when it cannot be read."""
    try:
        return sha256_of(open_store(location).read(doc_id))
    except (CurationError, OSError):
        return None


def load_history(location: Location, audit_log: Path | str | None = None) -> tuple[AuditHistory, list[Problem]]:
    """The audit log of a folder or prefix with what took effect, and a warning for each unreadable entry."""
    store = open_store(location)
    entries, problems = store.read_audit(audit_log)
    return AuditHistory(entries, lambda doc_id: current_sha(location, doc_id)), problems


def _restore_lines(raw: bytes, entry: AuditEntry) -> Edit | None:
    """The exact bytes before a logged change, when the file is exactly as that change left it."""
    if entry.line is None or (entry.before is None and entry.after is None):
        return None  # an entry from before lines were logged
    bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
    try:
        lines = raw[len(bom) :].decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    at = entry.line - 1
    now = [] if entry.after is None else entry.after.split("\n")
    if lines[at : at + len(now)] != now or at > len(lines):
        return None
    lines[at : at + len(now)] = [] if entry.before is None else entry.before.split("\n")
    restored = bom + "\n".join(lines).encode("utf-8")
    if sha256_of(restored) != entry.sha_before:
        return None  # not provably the old bytes: fall back to setting the value
    return Edit(entry.field, entry.new, entry.old, restored, entry.line, entry.after, entry.before)


def _check_restores_only_its_field(raw: bytes, restored: Edit, entry: AuditEntry) -> None:
    """The lines an audit entry gives back must be its own field's: the log is read back, so it is not trusted."""
    try:
        before = parse_front_matter(raw, entry.id)
        check_only_field_changed(before, restored.raw, entry.field, entry.old, entry.id, as_read=True)
    except PublishRefusedError:
        raise PublishRefusedError(
            entry.id,
            f"audit entry {entry.change} would restore lines that are not this file's `{entry.field}` "
            f"as it was (they change more than `{entry.field}`, or not to the logged value); nothing was undone",
            entry.line,
        ) from None


def undo_entry(
    location: Location,
    entry: AuditEntry,
    *,
    editor: str = "anonymous",
    audit_log: Path | str | None = None,
    batch: str | None = None,
) -> Outcome:
    """Put back what the file was before a logged change, refusing if it changed after that change."""

    def revert(raw: bytes) -> Edit:
        if entry.field not in FIELD_CHECKS:  # the fields an audit entry may name: the ones editors change
            raise PublishRefusedError(
                entry.id, f"audit entry {entry.change} names `{entry.field}`, a field editors cannot change; "
                "nothing was undone",
            )  # fmt: skip
        restored = _restore_lines(raw, entry)
        if restored is not None:
            _check_restores_only_its_field(raw, restored, entry)
            return restored
        if entry.field == "published":
            return published_edit(raw, entry.old, entry.id)
        if entry.old is None:
            raise PublishRefusedError(entry.id, f"`{entry.field}` was added by that change and cannot be restored")
        return edit_field(raw, entry.field, entry.old, entry.id)

    return _outcome(
        entry.id,
        lambda: _write_change(
            location, entry.id, revert, expected_sha=entry.sha_after, editor=editor, audit_log=audit_log,
            undoes=entry.change, batch=batch, action=f"have its {entry.field} change undone",
        ),
    )  # fmt: skip


def undo_last(
    location: Location, count: int = 1, *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> list[Outcome]:
    """Undo the newest `count` changes that took effect and are not undone yet, newest first."""
    if type(count) is not int or count < 1:
        raise ValueError(f"the number of changes to undo must be a whole number of 1 or more, not {count!r}")
    history, _ = load_history(location, audit_log)
    newest = []
    for entry in history.undoable():
        newest.append(entry)
        if len(newest) == count:
            break
    return [undo_entry(location, entry, editor=editor, audit_log=audit_log) for entry in newest]


def undo_change(
    location: Location, change_id: str, *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> Outcome:
    """Undo one logged change by its change id."""
    history, _ = load_history(location, audit_log)
    for position, entry in enumerate(history.entries):
        if entry.change != change_id:
            continue
        if not history.took_effect(position):
            return Outcome(
                entry.id, OutcomeStatus.REFUSED, f"change {change_id} never took effect (its write did not complete)"
            )
        if history.is_undone(entry):
            return Outcome(entry.id, OutcomeStatus.UNCHANGED, f"change {change_id} is undone already")
        return undo_entry(location, entry, editor=editor, audit_log=audit_log)
    return Outcome(change_id, OutcomeStatus.REFUSED, f"no change {change_id} in the audit log")


def undo_batch(
    location: Location, batch_id: str, *, editor: str = "anonymous", audit_log: Path | str | None = None
) -> list[Outcome]:
    """Undo one bulk request: each of its changes that took effect and is not undone yet, newest first.

    Each file is checked on its own, as `undo_entry` does (a file changed since is a conflict and is left
    alone); the undos share a new batch id. Every change of the batch gets an outcome: one undone already
    (by an earlier undo, or by another undo of this batch running at the same time) is reported as
    unchanged, and so is one whose write never completed; an unknown batch id is one refused outcome, as
    `undo_change` reports an unknown change id.
    """
    history, _ = load_history(location, audit_log)
    positions = history.batch_positions(batch_id)
    if not positions:
        return [Outcome(batch_id, OutcomeStatus.REFUSED, f"no batch {batch_id} in the audit log")]
    entries = [history.entries[position] for position in positions]
    already = {entry.change for entry in entries if history.is_undone(entry)}
    to_undo = [
        entry for entry, position in zip(entries, positions, strict=True)
        if entry.change not in already and history.took_effect(position)
    ]  # fmt: skip
    batch = new_batch_id() if len(to_undo) > 1 else None
    undone = {
        entry.change: undo_entry(location, entry, editor=editor, audit_log=audit_log, batch=batch) for entry in to_undo
    }
    # Judged again from the log and the files as they are now: another undo of this batch may have
    # reverted a file after this one read the log (the file then seems never changed, or a conflict).
    unsettled = [entry for entry in entries if entry.change not in already and _unsettled(undone.get(entry.change))]
    now = load_history(location, audit_log)[0] if unsettled else history
    outcomes = []
    for entry in entries:
        outcome = undone.get(entry.change)
        if outcome is not None and not _unsettled(outcome):
            outcomes.append(outcome)
        elif entry.change in already or now.is_undone(entry):
            outcomes.append(Outcome(entry.id, OutcomeStatus.UNCHANGED, f"change {entry.change} is undone already"))
        elif outcome is not None:
            outcomes.append(outcome)  # a conflict with a change that is not an undo of it
        else:
            message = f"change {entry.change} never took effect (its write did not complete): nothing to undo"
            outcomes.append(Outcome(entry.id, OutcomeStatus.UNCHANGED, message))
    return outcomes


def _unsettled(outcome: Outcome | None) -> bool:
    """Whether a batch undo must look again at a change: not undone by this run (none tried, or a conflict)."""
    return outcome is None or outcome.status == OutcomeStatus.CONFLICT
