"""An editor's name goes into the audit log as typed, or not at all: one rule for the library, the command
line and the dashboard (no control or bidi characters, at most 100 characters)."""

from __future__ import annotations

import pytest

from curation.audit import MAX_EDITOR_NAME, check_editor_name
from curation.editing.publish import set_field, set_published, set_published_many
from curation.errors import EditorNameError
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID
from tests.table_events import TableBrowser, table_data
from tests.test_access import app  # noqa: F401  (the AppTest fixture)
from tests.test_cli import run

BAD_NAMES = {
    "newline (a forged second log line)": "Ann\nBob",
    "carriage return": "Ann\rBob",
    "escape (terminal colours)": "Ann\x1b[31m",
    "bell": "Ann\x07",
    "tab": "Ann\tEditor",
    "line separator": "Ann\u2028Bob",
    "paragraph separator": "Ann\u2029Bob",
    "right-to-left override": "Ann\u202eevil",
    "left-to-right isolate": "Ann\u2066x",
    "right-to-left mark": "Ann\u200f",
    "delete": "Ann\x7f",
    "too long": "A" * (MAX_EDITOR_NAME + 1),
    "blank": "   ",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_name_that_cannot_be_logged_is_refused_with_what_is_wrong(name):
    with pytest.raises(EditorNameError, match="editor's name"):
        check_editor_name(name)


@pytest.mark.parametrize(
    ("typed", "logged"),
    [("Ann", "Ann"), ("  Ann Editor  ", "Ann Editor"), ("Zoë Ångström", "Zoë Ångström"), ("李", "李"),
     ("A" * MAX_EDITOR_NAME, "A" * MAX_EDITOR_NAME), ("ann@newsroom.example", "ann@newsroom.example")],
)  # fmt: skip
def test_a_plain_name_is_logged_as_typed(typed, logged):
    assert check_editor_name(typed) == logged


@pytest.mark.parametrize("name", [BAD_NAMES["newline (a forged second log line)"], BAD_NAMES["too long"]])
def test_the_library_writes_and_logs_nothing_under_a_bad_name(seed_only, name):
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(EditorNameError):
        set_published(seed_only, SEED_ID, False, editor=name)
    with pytest.raises(EditorNameError):
        set_field(seed_only, SEED_ID, "title", "New", editor=name)
    (outcome,) = set_published_many(seed_only, [SEED_ID], False, editor=name)
    assert outcome.status == "refused" and "editor's name" in outcome.message
    assert (seed_only / SEED_ID).read_bytes() == before
    assert not (seed_only / ".curation" / "audit.jsonl").exists()


@pytest.mark.parametrize("name", [BAD_NAMES["escape (terminal colours)"], BAD_NAMES["right-to-left override"]])
def test_the_command_line_refuses_a_bad_name_as_a_usage_error(capsys, seed_only, name):
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "unpublish", SEED_ID, "--editor", name, "--docs", str(seed_only))
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "--editor" in err and "control character" in err
    assert "\x1b" not in err and "\u202e" not in err  # shown escaped, never acted on by the terminal
    assert (seed_only / SEED_ID).read_bytes() == before


def test_a_typed_name_with_a_control_character_stops_editing_until_it_is_fixed(app, docs):  # noqa: F811
    """An editor pastes a name with a line break: the dashboard says what is wrong and writes nothing under it."""
    app.run()
    app.text_input(key="editor_name").input("Ann\u202eevil").run()
    assert any("control character U" in error.value and "202E" in error.value for error in app.error)
    assert table_data(app)["canEdit"] is False
    before = (docs / SEED_ID).read_bytes()
    TableBrowser(app).tick(SEED_ID, False)  # a forged tick writes nothing under the bad name
    assert (docs / SEED_ID).read_bytes() == before
    app.text_input(key="editor_name").input("Ann").run()
    assert table_data(app)["canEdit"] is True
    TableBrowser(app).tick(SEED_ID, False)
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert entry.editor == "Ann"
