"""Hostile folders: links and wrong types in the state folder, OS errors in bulk, read-only mode."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from curation.editing.publish import set_published, set_published_many, undo_last
from curation.errors import CurationError, UnsafePathError
from curation.loading.collection import load_collection
from tests.conftest import SEED_ID, write_document


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below a folder, with a file's bytes (None for folders and links)."""
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() and not path.is_symlink() else None
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the docs folder, with a file of its own: nothing may ever be written here."""
    folder = tmp_path / "outside"
    write_document(folder, "precious.txt", "not yours\n")
    return folder


def test_a_state_folder_that_is_a_link_is_refused_and_never_written_through(seed_only, outside):
    (seed_only / ".curation").symlink_to(outside, target_is_directory=True)
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(UnsafePathError, match=r"\.curation.*symbolic link"):
        set_published(seed_only, SEED_ID, False)
    collection = load_collection(seed_only)
    assert [(w.path, w.kind) for w in collection.warnings] == [(".curation", "state")]
    assert "symbolic link" in collection.warnings[0].message
    assert _tree(outside) == {"precious.txt": b"not yours\n"}
    assert (seed_only / SEED_ID).read_bytes() == before


@pytest.mark.parametrize("name", ["audit.jsonl", "locks"])
def test_a_link_inside_the_state_folder_is_refused(seed_only, outside, name):
    (seed_only / ".curation").mkdir()
    target = outside / "precious.txt" if name == "audit.jsonl" else outside
    (seed_only / ".curation" / name).symlink_to(target)
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(CurationError, match=rf"\.curation/{name}: is a symbolic link; links are never written through"):
        set_published(seed_only, SEED_ID, False)
    assert (seed_only / SEED_ID).read_bytes() == before
    assert _tree(outside) == {"precious.txt": b"not yours\n"}


def test_a_dangling_link_in_the_cache_folder_never_creates_its_target(seed_only, tmp_path):
    cache = seed_only / ".curation" / "cache"
    cache.mkdir(parents=True)
    target = tmp_path / "created-by-us.parquet"
    for name in ("rows-v3.parquet", "problems-v3.parquet"):
        (cache / name).symlink_to(tmp_path / f"{name}.target")
    (cache / "rows-v3.parquet").unlink()
    (cache / "rows-v3.parquet").symlink_to(target)
    load_collection(seed_only)
    assert not target.exists() and not (tmp_path / "problems-v3.parquet.target").exists()
    assert not (cache / "rows-v3.parquet").is_symlink()  # replaced by a real cache file


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda docs: (docs / ".curation").write_text("x"), r"\.curation: is a file where a folder belongs"),
        (
            lambda docs: (docs / ".curation" / "audit.jsonl").mkdir(parents=True),
            r"audit\.jsonl: is a folder where a file belongs",
        ),
        (lambda docs: os.mkfifo(_made(docs / ".curation") / "audit.jsonl"), r"audit\.jsonl: is not a regular file"),
        (
            lambda docs: (_made(docs / ".curation") / "locks").write_text("x"),
            r"\.curation/locks: is a file where a folder belongs",
        ),
    ],
)
def test_state_paths_of_the_wrong_type_get_a_clear_message(seed_only, make, message):
    make(seed_only)
    before = (seed_only / SEED_ID).read_bytes()
    (outcome,) = set_published_many(seed_only, [SEED_ID], False)
    assert outcome.status == "refused"
    assert re.search(message, outcome.message), outcome.message
    assert (seed_only / SEED_ID).read_bytes() == before


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_os_error_on_one_id_is_refused_and_the_rest_go_on(docs, monkeypatch):
    """A name too long for the file system, a write the disk refuses: each is one refused id, with its reason."""
    from curation.store import local

    ids = sorted(path.name for path in docs.glob("demo_*.txt"))[:3]
    too_long = "x" * 300 + ".txt"
    real_replace = local.replace_atomically

    def refusing(folder_fd, name, data, mode=None):
        if name == ids[1]:
            raise PermissionError(13, "Permission denied", name)
        return real_replace(folder_fd, name, data, mode)

    monkeypatch.setattr(local, "replace_atomically", refusing)
    frame = load_collection(docs).frame
    value = not bool(frame.loc[ids[0], "published"])
    wanted = [doc_id for doc_id in ids if bool(frame.loc[doc_id, "published"]) != value]
    outcomes = set_published_many(docs, [too_long, *ids], value)
    statuses = {outcome.id: outcome.status for outcome in outcomes}
    assert list(statuses) == [too_long, *ids]
    assert statuses[too_long] == "refused" and "too long" in outcomes[0].message
    assert statuses[ids[1]] == ("refused" if ids[1] in wanted else "unchanged")
    if ids[1] in wanted:
        assert "Permission denied" in outcomes[2].message
    assert statuses[ids[0]] == "changed"
    assert bool(load_collection(docs).frame.loc[ids[0], "published"]) is value


def test_read_only_mode_writes_and_deletes_nothing(seed_only, monkeypatch):
    """Not a cache, not a lock, not a sweep: a user's hidden file that looks like ours survives."""
    theirs = write_document(seed_only, f".{SEED_ID}.curation-0123456789abcdef.tmp", "mine")
    os.utime(theirs, (1, 1))
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    before = _tree(seed_only)
    collection = load_collection(seed_only)
    assert list(collection.frame.index) == [SEED_ID]
    assert undo_last(seed_only) == []
    assert _tree(seed_only) == before


def test_a_document_reached_through_a_folder_link_is_refused(tmp_path, outside):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_document(outside, "a.txt", "---\ntitle: t\n---\n")
    (docs / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        set_published(docs, "sub/a.txt", True)
    assert (outside / "a.txt").read_bytes() == b"---\ntitle: t\n---\n"
