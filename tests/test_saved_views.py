"""Saved views in the library: the views file in a folder's `.curation/` and under an S3 prefix, its operations,
editors saving at once, and a views file nobody should trust."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import pytest

from curation.errors import StoreError
from curation.query.filters import Filters
from curation.query.saved_views import (
    MAX_VIEWS_BYTES,
    VIEWS_FILE,
    BrokenViewError,
    UnknownViewError,
    ViewConflictError,
    ViewNameError,
    check_view_name,
    delete_view,
    parse_views,
    read_views,
    rename_view,
    save_view,
    saving,
    view_filters,
)
from curation.store.s3 import S3Store
from curation.store.state_file import StateFileError, update_state_file
from tests.conftest import new_prefix

MORNING = Filters(published="unpublished", categories=("news",), min_quality=60, sort="quality", descending=True)
EVENING = Filters(published="published", sort="heat")


def put_views_file(location: Path | str, data: bytes) -> None:
    """Write the views file's exact bytes, as someone editing it by hand (or an attacker) would."""
    if isinstance(location, Path):
        (location / ".curation").mkdir(exist_ok=True)
        (location / ".curation" / VIEWS_FILE).write_bytes(data)
        return
    import boto3

    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/.curation/{VIEWS_FILE}", Body=data)


def views_file_bytes(location: Path | str) -> bytes:
    if isinstance(location, Path):
        return (location / ".curation" / VIEWS_FILE).read_bytes()
    store = S3Store(location)
    stored = store.get_state(VIEWS_FILE)
    assert stored is not None
    return stored


@pytest.fixture(params=["folder", "s3"])
def place(request, tmp_path: Path) -> Path | str:
    """An empty docs location (the views file needs no documents): a folder, then a fresh S3 prefix."""
    if request.param == "folder":
        return tmp_path
    request.getfixturevalue("s3_env")
    return new_prefix("views")


def test_save_list_rename_and_delete_round_trip(place):
    assert read_views(place).views == ()
    saved = save_view(place, "Morning", MORNING, "ann")
    save_view(place, "Evening", EVENING, "bob")
    views = read_views(place)
    assert views.names() == ["Morning", "Evening"]
    assert views.named("Morning") == saved and saved.saved_by == "ann" and saved.saved_at.endswith("Z")
    assert views.named("Morning").filters() == (MORNING, [])
    assert view_filters(place, "Evening") == EVENING
    renamed = rename_view(place, "Morning", "Dawn", "carol")
    assert read_views(place).names() == ["Dawn", "Evening"]  # keeps its place
    assert (renamed.saved_by, view_filters(place, "Dawn")) == ("carol", MORNING)
    assert delete_view(place, "Evening").name == "Evening"
    assert read_views(place).names() == ["Dawn"]
    with pytest.raises(UnknownViewError, match="no view named 'Evening'; the saved views are: Dawn"):
        view_filters(place, "Evening")


def test_the_same_name_saved_by_two_editors_tells_the_later_one(place):
    """Both editors read the list (no Morning yet); ann saves first; bob's save is refused, naming ann, until he
    chooses to overwrite."""
    seen_by_bob = read_views(place).get("Morning")
    assert seen_by_bob is None
    save_view(place, "Morning", MORNING, "ann")
    with pytest.raises(
        ViewConflictError, match=r"a view named Morning was saved by ann at \d{4}-\d\d-\d\d .* meanwhile"
    ):
        save_view(place, "Morning", EVENING, "bob")
    assert view_filters(place, "Morning") == MORNING
    save_view(place, "Morning", EVENING, "bob", replace=True)
    assert view_filters(place, "Morning") == EVENING and read_views(place).named("Morning").saved_by == "bob"


def test_overwriting_the_version_seen_is_allowed_and_a_newer_one_is_not(place):
    first = save_view(place, "Morning", MORNING, "ann")
    save_view(place, "Morning", EVENING, "bob", seen=first.token)  # bob saw ann's: his choice
    with pytest.raises(ViewConflictError, match="was saved by bob"):
        save_view(place, "Morning", MORNING, "ann", seen=first.token)  # ann's view of it is stale
    with pytest.raises(ViewConflictError, match="was saved by bob"):
        delete_view(place, "Morning", seen=first.token)
    with pytest.raises(ViewConflictError, match="the view Morning was saved by bob"):
        rename_view(place, "Morning", "Dawn", "ann", seen=first.token)
    assert read_views(place).names() == ["Morning"]


def test_rename_onto_another_view_needs_replace(place):
    save_view(place, "Morning", MORNING, "ann")
    save_view(place, "Evening", EVENING, "ann")
    with pytest.raises(ViewConflictError, match="a view named Evening exists"):
        rename_view(place, "Morning", "Evening", "ann")
    rename_view(place, "Morning", "Evening", "ann", replace=True)
    views = read_views(place)
    assert views.names() == ["Evening"] and views.named("Evening").filters()[0] == MORNING


def test_two_writers_at_once_keep_every_view(place):
    """Eight threads, each a writer with its own lock descriptor (a folder) or its own conditional PUTs (S3)."""
    names = [f"view {writer}-{number}" for writer in range(8) for number in range(3)]
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for number in range(3):
                save_view(place, f"view {writer}-{number}", Filters(min_heat=writer), f"editor {writer}")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(read_views(place).names()) == sorted(names)


def test_a_put_that_loses_to_another_writer_is_applied_again_to_theirs(s3_env):
    """The real conditional PUT: another editor saves between our GET and our PUT; our PUT gets 412, and our save
    is applied again to the file that editor wrote, so both views are kept."""
    place = new_prefix("views")
    save_view(place, "Existing", EVENING, "carol")
    seen: list[list[str]] = []
    ours = saving("Morning", MORNING, "ann")

    def change(state):
        views = parse_views(state)
        seen.append(views.names())
        if len(seen) == 1:
            save_view(place, "Evening", EVENING, "bob")  # lands after our GET
        return ours(views)[0].to_bytes()

    update_state_file(place, VIEWS_FILE, MAX_VIEWS_BYTES, change)
    assert seen == [["Existing"], ["Existing", "Evening"]]
    assert read_views(place).names() == ["Existing", "Evening", "Morning"]


def test_the_first_file_is_created_only_once(s3_env):
    """No file yet: the PUT carries If-None-Match: *, so a writer that created it meanwhile is not overwritten."""
    place = new_prefix("views")
    calls: list[int] = []

    def change(state):
        calls.append(1)
        if len(calls) == 1:
            assert state.raw is None
            save_view(place, "Evening", EVENING, "bob")
        return saving("Morning", MORNING, "ann")(parse_views(state))[0].to_bytes()

    update_state_file(place, VIEWS_FILE, MAX_VIEWS_BYTES, change)
    assert len(calls) == 2 and read_views(place).names() == ["Evening", "Morning"]


def test_a_known_version_is_not_parsed_again(place):
    save_view(place, "Morning", MORNING, "ann")
    first = read_views(place)
    assert read_views(place, first) is first
    save_view(place, "Evening", EVENING, "bob")
    assert read_views(place, first).names() == ["Morning", "Evening"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("x" * 81, "at most 80 characters, not 81"),
        ("Morning\nqueue", "control character U+000A"),
        ("Morning\u202equeue", "control character U+202E"),
        ("\x1b[31mred", "control character U+001B"),
    ],
)
def test_view_names_are_checked(name, message):
    with pytest.raises(ViewNameError, match=re.escape(message)):
        check_view_name(name)


def test_a_name_is_stored_without_the_spaces_around_it(tmp_path):
    assert save_view(tmp_path, "  Morning  ", MORNING, "ann").name == "Morning"
    assert check_view_name("x" * 80) == "x" * 80


UNTRUSTED = [
    (b"{not json", "is not JSON"),
    (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
    (b"[1, 2, 3]", 'is not a views file \\(an object with a "views" list\\)'),
    (b'{"views": {"Morning": 1}}', "is not a views file"),
    (b'{"format": 99, "views": []}', "is views format 99, not 1"),
    (b" " * (MAX_VIEWS_BYTES + 1), "more than the 1,048,576 it may be"),
]


@pytest.mark.parametrize(("data", "message"), UNTRUSTED, ids=lambda value: str(value)[:20])
def test_a_views_file_that_is_not_one_is_named_and_never_replaced(tmp_path, data, message):
    put_views_file(tmp_path, data)
    where = str(tmp_path / ".curation" / VIEWS_FILE)
    with pytest.raises(StateFileError, match=message) as raised:
        read_views(tmp_path)
    assert raised.value.path == where
    with pytest.raises(StateFileError, match=message):
        save_view(tmp_path, "Morning", MORNING, "ann")
    assert views_file_bytes(tmp_path) == data  # whatever views were in it are still there to recover


def test_a_views_object_that_is_not_one_is_named_and_never_replaced(s3_env):
    place = new_prefix("views")
    put_views_file(place, b"{not json")
    with pytest.raises(StateFileError, match=r"s3://newsroom/views-\w+/\.curation/views\.json:1: is not JSON"):
        save_view(place, "Morning", MORNING, "ann")
    put_views_file(place, b"[" + b" " * MAX_VIEWS_BYTES + b"]")
    with pytest.raises(StateFileError, match="is 1,048,578 bytes, more than"):
        read_views(place)
    assert views_file_bytes(place).startswith(b"[ ")


def test_entries_that_are_not_views_are_named_and_kept_when_the_file_is_written(place):
    good = {
        "name": "Morning",
        "query": {"published": ["unpublished"]},
        "saved_by": "ann",
        "saved_at": "2026-12-05T06:00:00Z",
    }
    bad = [
        "just text",
        {"name": "Evil\x1b[2J", "query": {}, "saved_by": "x", "saved_at": "t"},
        {"name": "No query", "saved_by": "x", "saved_at": "t"},
        {"name": "Bad values", "query": {"category": "news"}, "saved_by": "x", "saved_at": "t"},
        {"name": "Morning", "query": {}, "saved_by": "x", "saved_at": "t"},
    ]
    put_views_file(place, json.dumps({"format": 1, "views": [good, *bad]}).encode())
    views = read_views(place)
    assert views.names() == ["Morning"]
    assert [problem.split(": ", 1)[1] for problem in views.problems] == [
        "view 2 was left out: not an object",
        "view 3 was left out: a view's name cannot hold the control character U+001B",
        "view 4 was left out: 'No query' has no query object",
        "view 5 was left out: 'Bad values': each query parameter must be a list of texts",
        "view 6 was left out: a second view named 'Morning'",
    ]
    assert all(problem.startswith(views.shown) for problem in views.problems)
    save_view(place, "Evening", EVENING, "bob")
    stored = json.loads(views_file_bytes(place))["views"]
    assert stored[0] == good and stored[1]["name"] == "Evening" and stored[2:] == bad


def test_a_view_whose_filters_do_not_parse_is_named_and_never_used_by_a_command(tmp_path):
    entry = {"name": "Odd", "query": {"sort": ["nonsense"], "quality": ["10"], "colour": ["red"]},
             "saved_by": "ann", "saved_at": "2026-12-05T06:00:00Z"}  # fmt: skip
    put_views_file(tmp_path, json.dumps({"format": 1, "views": [entry]}).encode())
    filters, complaints = read_views(tmp_path).named("Odd").filters()
    assert filters == Filters()
    assert complaints[0].startswith("sort=nonsense was ignored: choose one of id, title")
    assert complaints[1].startswith("quality=10 was ignored: give two numbers")
    assert complaints[2] == "the parameter 'colour' is not a filter and was ignored"
    with pytest.raises(BrokenViewError, match=r"view 'Odd' in .*views\.json cannot be used: sort=nonsense"):
        view_filters(tmp_path, "Odd")


def test_a_linked_views_file_is_refused_and_never_followed(tmp_path):
    docs = tmp_path / "docs"
    (docs / ".curation").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(b'{"format": 1, "views": []}')
    (docs / ".curation" / VIEWS_FILE).symlink_to(elsewhere)
    with pytest.raises(StateFileError, match=r"views\.json: is a symbolic link"):
        read_views(docs)
    with pytest.raises(StateFileError, match="is a symbolic link"):
        save_view(docs, "Morning", MORNING, "ann")
    assert elsewhere.read_bytes() == b'{"format": 1, "views": []}'
    assert os.path.islink(docs / ".curation" / VIEWS_FILE)


def test_a_linked_state_folder_is_refused(tmp_path):
    docs, elsewhere = tmp_path / "docs", tmp_path / "elsewhere"
    docs.mkdir()
    elsewhere.mkdir()
    (docs / ".curation").symlink_to(elsewhere)
    with pytest.raises(StateFileError, match=r"^\.curation: is a symbolic link"):
        read_views(docs)
    with pytest.raises(StateFileError, match="is a symbolic link"):
        save_view(docs, "Morning", MORNING, "ann")
    assert list(elsewhere.iterdir()) == []


def test_an_unreachable_bucket_is_a_store_error(s3_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(StoreError, match="cannot reach the S3 endpoint"):
        read_views(new_prefix("views"))
