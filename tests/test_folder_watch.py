"""The folder watcher: adds, deletes, atomic replaces and in-place edits each show up as the ids they touch."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from curation.live.watch import Changes, FolderWatcher, file_system_type
from tests.conftest import write_document

DOC = "---\ntitle: t\n---\n"


@pytest.fixture(params=["notify", "poll"])
def watched(request, tmp_path: Path) -> Iterator[tuple[Path, FolderWatcher]]:
    folder = tmp_path / "docs"
    write_document(folder, "a.txt", DOC)
    write_document(folder, "sub/b.md", DOC)
    watcher = FolderWatcher(folder, poll=request.param == "poll", interval=0.05).start()
    assert watcher.mode == request.param
    assert watcher.take_changes().everything  # nothing is known before the first look
    if request.param == "poll":
        _wait_for_a_pass(watcher, folder)
    yield folder, watcher
    watcher.stop()


def _wait_for_a_pass(watcher: FolderWatcher, folder: Path) -> None:
    """Polling compares with the previous pass: wait until a first pass has been taken."""
    deadline = time.monotonic() + 20
    while watcher.passes < 1:
        assert time.monotonic() < deadline, "the poller never finished a pass"
        time.sleep(0.01)


def _changes_until(watcher: FolderWatcher, done, timeout: float = 20.0) -> Changes:
    """Everything the watcher reports until `done(all of it)` holds (waits for the state, not a fixed time)."""
    ids: set[str] = set()
    everything = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        changes = watcher.take_changes()
        ids |= changes.ids
        everything |= changes.everything
        seen = Changes(frozenset(ids), everything)
        if done(seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the watcher never reported the change; it saw {ids}, everything={everything}")


def test_a_new_document_is_reported(watched):
    folder, watcher = watched
    write_document(folder, "new.txt", DOC)
    assert "new.txt" in _changes_until(watcher, lambda changes: "new.txt" in changes.ids).ids


def test_a_deleted_document_is_reported(watched):
    folder, watcher = watched
    (folder / "sub" / "b.md").unlink()
    _changes_until(watcher, lambda changes: "sub/b.md" in changes.ids)


def test_an_atomic_replace_is_reported_under_the_document_id(watched):
    folder, watcher = watched
    temp = write_document(folder, ".a.txt.curation-0123456789abcdef.tmp", DOC + "body\n")
    os.replace(temp, folder / "a.txt")
    changes = _changes_until(watcher, lambda changes: "a.txt" in changes.ids)
    assert not any(doc_id.startswith(".") for doc_id in changes.ids)


def test_an_edit_in_place_is_reported(watched):
    folder, watcher = watched
    with (folder / "sub" / "b.md").open("r+b") as handle:
        handle.seek(0, os.SEEK_END)
        handle.write(b"more body\n")
    _changes_until(watcher, lambda changes: "sub/b.md" in changes.ids)


def test_state_files_hidden_files_and_other_files_are_not_documents(watched):
    folder, watcher = watched
    write_document(folder, ".curation/audit.jsonl", "{}\n")
    write_document(folder, ".hidden.txt", DOC)
    write_document(folder, "notes.json", "{}")
    write_document(folder, "last.txt", DOC)  # a real change, so we know the others were seen by now
    changes = _changes_until(watcher, lambda changes: "last.txt" in changes.ids)
    assert changes.ids == {"last.txt"} and not changes.everything


def test_a_new_folder_with_documents_is_seen(watched):
    folder, watcher = watched
    write_document(folder, "fresh/inside.txt", DOC)
    _changes_until(watcher, lambda changes: changes.everything or "fresh/inside.txt" in changes.ids)


def test_polling_can_be_forced_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATION_WATCH", "poll")
    watcher = FolderWatcher(tmp_path, interval=0.05).start()
    try:
        assert watcher.mode == "poll"
    finally:
        watcher.stop()


MOUNTS = """sysfs /sys sysfs rw 0 0
/dev/vda / ext4 rw,relatime 0 0
server:/export /mnt/news nfs4 rw,relatime 0 0
//files/desk /mnt/desk\\040two cifs rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "kind"),
    [("/mnt/news/docs", "nfs4"), ("/mnt/news", "nfs4"), ("/mnt/newsroom", "ext4"), ("/mnt/desk two/a", "cifs"),
     ("/home/ann", "ext4")],
)  # fmt: skip
def test_the_file_system_of_a_folder_is_its_longest_mount_point(folder, kind):
    assert file_system_type(Path(folder), MOUNTS) == kind


def test_a_network_mount_is_polled_without_being_asked(tmp_path, monkeypatch):
    """NFS accepts an inotify watch but never hears of another host's edit: such a folder is polled."""
    monkeypatch.delenv("CURATION_WATCH", raising=False)
    monkeypatch.setattr("curation.live.watch.file_system_type", lambda folder: "nfs4")
    watcher = FolderWatcher(tmp_path).start()
    try:
        assert watcher.mode == "poll"
    finally:
        watcher.stop()
