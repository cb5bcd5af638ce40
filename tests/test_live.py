"""The dashboard's shared collection: own writes swap rows in without a reload; other changes still reload."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from curation.editing.publish import set_published, set_published_many, undo_last
from curation.live.folder import LiveCollection, folder_times
from curation.live.watch import visible_folders
from curation.loading.collection import load_collection
from tests.conftest import write_document


class Clock:
    """A clock the test moves by hand (the full check runs when enough time passed)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def live(docs: Path, clock: Clock) -> LiveCollection:
    """Without notifications (the fallback), the full check running inside the call (in the dashboard: a thread)."""
    return LiveCollection(docs, full_check_seconds=30, clock=clock, background=False, watch=False)


def after_a_full_check(live: LiveCollection, clock: Clock):
    """The version after the full check had its chance: the call that starts it, then the next one."""
    clock.now += 31
    live.current()
    return live.current()


def folder_times_now(live: LiveCollection):
    return folder_times(visible_folders(live.folder))


def unpublished_ids(live: LiveCollection, count: int) -> list[str]:
    frame = live.current().frame
    return list(frame.index[~frame["published"]][:count])


def test_with_rows_updated_builds_a_new_version_and_leaves_the_old_one(docs):
    """Updating rows gives a new Collection; the old one, which other sessions may hold, is unchanged."""
    old = load_collection(docs)
    facets = old.facets
    doc_id = old.frame.index[3]
    before = old.frame.loc[doc_id].copy()
    new = old.with_rows_updated({doc_id: {"published": not before["published"], "sha256": "f" * 64, "size": 1,
                                          "mtime_ns": 2}, "gone.txt": {"published": True}})  # fmt: skip
    assert old.frame.loc[doc_id].equals(before)
    row = new.frame.loc[doc_id]
    assert (row["published"], row["sha256"], row["size"], row["mtime_ns"]) == (not before["published"], "f" * 64, 1, 2)
    assert new.frame.drop(index=doc_id).equals(old.frame.drop(index=doc_id))
    assert new.frame.dtypes.equals(old.frame.dtypes)
    assert new.facets is facets  # not recomputed: they do not depend on these columns
    assert "gone.txt" not in new.frame.index


def test_with_rows_updated_refuses_other_columns(docs):
    collection = load_collection(docs)
    with pytest.raises(ValueError, match="quality"):
        collection.with_rows_updated({collection.frame.index[0]: {"quality": 100}})


def test_a_field_edit_is_swapped_in_and_the_facets_follow(docs):
    """Category and topics edits update the rows and the facet counts; the old version is untouched."""
    collection = load_collection(docs)
    before = collection.facets["category"].totals()
    first, second = collection.frame.index[:2]
    updated = collection.with_rows_updated(
        {first: {"category": "obituaries", "topics": ["One", "Two"]}, second: {"title": "T"}}
    )
    assert updated.frame.loc[first, "topics"] == ["One", "Two"] and updated.frame.loc[second, "title"] == "T"
    assert updated.facets["category"].totals()["obituaries"] == 1
    assert collection.facets["category"].totals().equals(before)
    assert "obituaries" not in collection.frame["category"].values


def test_an_own_write_is_swapped_in_without_a_reload(live, docs, clock):
    """An editor publishes; the next look shows it, from the same loaded collection, and so does a full check."""
    (doc_id,) = unpublished_ids(live, 1)
    before = live.current()
    outcomes = live.write_published([doc_id], True, editor="ann")
    assert [outcome.status for outcome in outcomes] == ["changed"]
    after = live.current()
    assert after is not before and live.reloads == 1
    assert bool(after.frame.loc[doc_id, "published"]) and not bool(before.frame.loc[doc_id, "published"])
    info = os.stat(docs / doc_id)
    assert (after.frame.loc[doc_id, "size"], after.frame.loc[doc_id, "mtime_ns"]) == (info.st_size, info.st_mtime_ns)
    assert after.frame.loc[doc_id, "sha256"] == load_collection(docs).frame.loc[doc_id, "sha256"]
    # the stat of every file agrees with the rows: still no reload
    assert after_a_full_check(live, clock) is after and live.reloads == 1


def test_an_undo_is_swapped_in_without_a_reload(live, docs, clock):
    """History's undo goes through the same path as a tick: the row shows the old value, nothing reloads."""
    (doc_id,) = unpublished_ids(live, 1)
    original = (docs / doc_id).read_bytes()
    live.write_published([doc_id], True, editor="ann")
    outcomes = live.recording(lambda: undo_last(docs, 1, editor="ann"))
    assert [(outcome.id, outcome.status) for outcome in outcomes] == [(doc_id, "changed")]
    assert (docs / doc_id).read_bytes() == original
    after = live.current()
    assert not bool(after.frame.loc[doc_id, "published"]) and live.reloads == 1
    assert after.frame.loc[doc_id, "sha256"] == load_collection(docs).frame.loc[doc_id, "sha256"]
    assert after_a_full_check(live, clock) is after and live.reloads == 1  # the rows agree with the disk


@pytest.mark.parametrize("watch", [False, True], ids=["folder times", "notifications"])
def test_a_look_during_our_own_write_does_not_reload(docs, clock, watch):
    """Another session's run while our write is on disk but not yet swapped in: the folder's times and the
    watcher already show the write. Taking it for someone else's change reloaded every document (seconds, and a
    whole new frame held by that session, at 1,000,000 documents)."""
    live = LiveCollection(docs, full_check_seconds=3600, clock=clock, background=False, watch=watch)
    try:
        (doc_id,) = unpublished_ids(live, 1)
        seen_during: list[object] = []

        def write_then_another_session_looks():
            outcomes = set_published_many(docs, [doc_id], True, editor="ann")
            seen_during.append(live.current())  # the file is written; its row is not swapped in yet
            return outcomes

        before = live.current()
        live.recording(write_then_another_session_looks)
        assert seen_during == [before] and live.reloads == 1
        after = live.current()
        assert bool(after.frame.loc[doc_id, "published"]) and live.reloads == 1
        other = next(other for other in after.frame.index if other != doc_id)
        write_document(docs, "another-program.txt", (docs / other).read_bytes())
        wait_until(lambda: "another-program.txt" in live.current().frame.index, "another program's file to show")
        assert live.reloads == 2  # a change that is not ours still reloads, once our write is in
    finally:
        live.close()


def test_two_sessions_see_each_others_writes(live):
    """Sessions of one server share the live collection: what one writes, the other sees next."""
    first_id, second_id = unpublished_ids(live, 2)
    live.write_published([first_id], True, editor="ann")
    live.write_published([second_id], True, editor="bob")
    frame = live.current().frame
    assert frame.loc[[first_id, second_id], "published"].all() and live.reloads == 1


def test_another_programs_new_file_reloads(live, docs):
    live.current()
    write_document(docs, "zzz_new.txt", "---\ntitle: Added by another program\n---\n")
    assert "zzz_new.txt" in live.current().frame.index and live.reloads == 2


def test_a_change_before_our_write_is_not_taken_for_ours(live, docs):
    """Another server adds a file, then this one writes: the folders' new state is not ours, so it reloads."""
    (doc_id,) = unpublished_ids(live, 1)
    write_document(docs, "zzz_new.txt", "---\ntitle: Added by another server\n---\n")
    live.write_published([doc_id], True)
    frame = live.current().frame
    assert "zzz_new.txt" in frame.index and bool(frame.loc[doc_id, "published"]) and live.reloads == 2


def test_an_edit_in_place_is_found_by_the_full_check(live, docs, clock):
    """An edit written into a file (no folder change) shows at the next full check, not before."""
    doc_id = live.current().frame.index[0]
    path = docs / doc_id
    with path.open("ab") as handle:
        handle.write(b"\nA line another program appended.\n")
    assert live.current().frame.loc[doc_id, "size"] != path.stat().st_size  # the quick check cannot see it
    assert after_a_full_check(live, clock).frame.loc[doc_id, "size"] == path.stat().st_size and live.reloads == 2


def test_a_change_to_a_problem_document_is_found_by_the_full_check(live, docs, clock):
    broken = write_document(docs, "broken.txt", "---\ntitle: Broken\nquality: 500\n---\n")
    assert any(problem.path == "broken.txt" for problem in live.current().problems)
    after_a_full_check(live, clock)
    reloads = live.reloads
    with broken.open("r+b") as handle:  # fixed in place
        handle.write(b"---\ntitle: Broken\nquality: 50\n---\n")
    assert "broken.txt" in after_a_full_check(live, clock).frame.index and live.reloads == reloads + 1


def test_a_conflict_reloads_so_the_page_shows_the_disk(live, docs):
    doc_id = unpublished_ids(live, 1)[0]
    sha = live.current().frame.loc[doc_id, "sha256"]
    with (docs / doc_id).open("ab") as handle:
        handle.write(b"\nAnother editor's correction.\n")
    (outcome,) = live.write_published([doc_id], True, expected_shas={doc_id: sha})
    assert outcome.status == "conflict"
    assert live.current().frame.loc[doc_id, "sha256"] != sha and live.reloads == 2


def test_another_server_process_sees_our_write(docs):
    """A second server process (its own live collection) sees the write as a folder change and reloads."""
    ours, theirs = LiveCollection(docs), LiveCollection(docs)
    (doc_id,) = unpublished_ids(ours, 1)
    theirs.current()
    ours.write_published([doc_id], True)
    assert bool(theirs.current().frame.loc[doc_id, "published"]) and theirs.reloads == 2


def test_an_external_write_of_the_same_file_after_ours_is_seen(live, docs):
    """Another server rewrites a file right after our write: the next look shows its version."""
    (doc_id,) = unpublished_ids(live, 1)
    live.write_published([doc_id], True)
    set_published(docs, doc_id, False, editor="another server")
    frame = live.current().frame
    assert not bool(frame.loc[doc_id, "published"]) and (docs / doc_id).stat().st_size == frame.loc[doc_id, "size"]


def test_a_change_hidden_from_the_quick_check_is_found_by_the_full_check(live, docs, clock):
    """A file another program replaces while we write is taken for ours by the folders' mtimes; the stat of
    every file still finds it (its size and mtime differ from the row)."""
    first, second = unpublished_ids(live, 2)
    before = folder_times_now(live)  # what write_published takes before it writes
    set_published(docs, second, True, editor="another program, during our write")
    live.record_writes(set_published_many(docs, [first], True), before)
    assert not bool(live.current().frame.loc[second, "published"])  # not seen yet
    assert bool(after_a_full_check(live, clock).frame.loc[second, "published"])


def test_the_full_check_runs_in_a_thread_and_the_next_call_reloads(docs, clock):
    live = LiveCollection(docs, full_check_seconds=30, clock=clock)  # background, as in the dashboard
    doc_id = live.current().frame.index[0]
    with (docs / doc_id).open("ab") as handle:
        handle.write(b"\nAppended in place.\n")
    clock.now += 31
    live.current()  # starts the check and answers at once
    deadline = time.monotonic() + 30
    while live.reloads == 1 and time.monotonic() < deadline:
        live.current()
        time.sleep(0.02)
    assert live.current().frame.loc[doc_id, "size"] == (docs / doc_id).stat().st_size


def test_with_notifications_an_edit_in_place_shows_at_the_next_call(docs, clock):
    """inotify tells of the edit: no need to wait for the full check, and our own write causes no reload."""
    live = LiveCollection(docs, full_check_seconds=3600, clock=clock, background=False)
    try:
        (doc_id,) = unpublished_ids(live, 1)
        live.write_published([doc_id], True)
        other = next(other for other in live.current().frame.index if other != doc_id)
        reloads = live.reloads
        with (docs / other).open("ab") as handle:
            handle.write(b"\nA line another program appended.\n")
        wait_until(lambda: live.current().frame.loc[other, "size"] == (docs / other).stat().st_size, "the edit to show")
        # inotify delivers in order: our write's event came before the edit's, and only the edit reloaded.
        assert live.reloads == reloads + 1 and bool(live.current().frame.loc[doc_id, "published"])
    finally:
        live.close()


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    """Poll until the condition holds (inotify events arrive on another thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_with_notifications_the_full_check_is_only_a_safety_net(docs):
    """inotify reports edits in place, so the full stat of every file (half a second of the server's time at
    100,000 files) runs every 5 minutes instead of every 30 s; without notifications it stays at 30 s."""
    from curation.live.folder import FULL_CHECK_SECONDS, FULL_CHECK_WITH_NOTIFY_SECONDS

    notified = LiveCollection(docs)
    polled = LiveCollection(docs, watch=False)
    try:
        assert notified._watcher is not None, "inotify is available on this machine"
        assert notified.full_check_seconds == FULL_CHECK_WITH_NOTIFY_SECONDS == 300
        assert polled.full_check_seconds == FULL_CHECK_SECONDS == 30
    finally:
        notified.close()
