"""Editing title, excerpt, category, type and topics: only that field's lines change, in the style it had."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.editing.field_edits import double_quoted, edit_field
from curation.editing.publish import change_topics, set_field, undo_change, undo_last, write_many
from curation.errors import ConflictError, InvalidValueError, PublishRefusedError, ReadOnlyError
from curation.loading.collection import load_collection
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, examples, write_document

# (name, before, field, value, after): the exact bytes an edit must produce.
EDITS = [
    (
        "plain stays plain",
        b"---\ntitle: Old news\nheat: 1\n---\n",
        "title",
        "New news",
        b"---\ntitle: New news\nheat: 1\n---\n",
    ),
    (
        "plain that would not read back is quoted",
        b"---\ntitle: Old\n---\n",
        "title",
        "Yes: no # really",
        b'---\ntitle: "Yes: no # really"\n---\n',
    ),
    (
        "a plain word YAML reads as a boolean is quoted",
        b"---\ntitle: t\ncategory: news\n---\n",
        "category",
        "yes",
        b'---\ntitle: t\ncategory: "yes"\n---\n',
    ),
    ("double stays double", b'---\ntitle: "Old \\u00e9"\n---\n', "title", "New", b'---\ntitle: "New"\n---\n'),
    ("single stays single", b"---\ntitle: 'Old'\n---\n", "title", "It's new", b"---\ntitle: 'It''s new'\n---\n"),
    (
        "a comment after the value stays",
        b"---\ntitle: t\ntype: article   # from upstream\n---\n",
        "type",
        "video",
        b"---\ntitle: t\ntype: video   # from upstream\n---\n",
    ),
    ("crlf", b"---\r\ntitle: Old\r\nheat: 1\r\n---\r\n", "title", "New", b"---\r\ntitle: New\r\nheat: 1\r\n---\r\n"),
    ("bom", b"\xef\xbb\xbf---\ntitle: Old\n---\n", "title", "Café", b"\xef\xbb\xbf---\ntitle: Caf\xc3\xa9\n---\n"),
    (
        "non-ascii and quotes",
        b"---\ntitle: Old\n---\n",
        "title",
        'Der "Spiegel" – 東京',
        b'---\ntitle: Der "Spiegel" \xe2\x80\x93 \xe6\x9d\xb1\xe4\xba\xac\n---\n',
    ),
    (
        "missing field goes before the closing line",
        b"---\ntitle: t\n---\nbody\n",
        "category",
        "news",
        b"---\ntitle: t\ncategory: news\n---\nbody\n",
    ),
    (
        "missing field in crlf",
        b"---\r\ntitle: t\r\n---\r\n",
        "type",
        "video",
        b"---\r\ntitle: t\r\ntype: video\r\n---\r\n",
    ),
    (
        "empty value",
        b"---\ntitle: t\ncategory:\nheat: 1\n---\n",
        "category",
        "news",
        b"---\ntitle: t\ncategory: news\nheat: 1\n---\n",
    ),
    (
        "multi-line excerpt into a block scalar's place",
        b"---\ntitle: t\nexcerpt: |\n  one\n  two\nheat: 1\n---\n",
        "excerpt",
        "first line\nsecond line",
        b'---\ntitle: t\nexcerpt: "first line\\nsecond line"\nheat: 1\n---\n',
    ),
    (
        "a plain scalar folded over lines",
        b"---\nexcerpt: a long\n  folded text\ntitle: t\n---\n",
        "excerpt",
        "short",
        b"---\nexcerpt: short\ntitle: t\n---\n",
    ),
    (
        "the same key inside related stays",
        b"---\ntitle: Top\nrelated:\n  - title: Nested\n    category: sport\ncategory: news\n---\n",
        "category",
        "politics",
        b"---\ntitle: Top\nrelated:\n  - title: Nested\n    category: sport\ncategory: politics\n---\n",
    ),
    (
        "block list replaced, kept items keep their text",
        b'---\ntitle: t\ntopics:\n  - "AI"\n  - Climate\nheat: 1\n---\n',
        "topics",
        ["AI", "Space race"],
        b'---\ntitle: t\ntopics:\n  - "AI"\n  - Space race\nheat: 1\n---\n',
    ),
    (
        "block list at column 0",
        b"---\ntitle: t\ntopics:\n- AI\n---\n",
        "topics",
        ["AI", "no"],
        b'---\ntitle: t\ntopics:\n- AI\n- "no"\n---\n',
    ),
    (
        "a topic that YAML would read as a nested list is quoted",
        b"---\ntitle: t\ntopics:\n  - AI\n---\n",
        "topics",
        ["AI", "-", "a, b"],
        b'---\ntitle: t\ntopics:\n  - AI\n  - "-"\n  - "a, b"\n---\n',
    ),
    (
        "flow list stays flow",
        b"---\ntitle: t\ntopics: [AI, 'b c']\n---\n",
        "topics",
        ["b c", "Energy"],
        b"---\ntitle: t\ntopics: ['b c', Energy]\n---\n",
    ),
    (
        "emptied block list",
        b"---\ntitle: t\ntopics:\n  - AI\nheat: 1\n---\n",
        "topics",
        [],
        b"---\ntitle: t\ntopics: []\nheat: 1\n---\n",
    ),
    (
        "one topic as text becomes a flow list",
        b"---\ntitle: t\ntopics: AI\n---\n",
        "topics",
        ["AI", "ML"],
        b"---\ntitle: t\ntopics: [AI, ML]\n---\n",
    ),
    ("missing topics", b"---\ntitle: t\n---\n", "topics", ["a: b"], b'---\ntitle: t\ntopics: ["a: b"]\n---\n'),
    (
        "crlf block list",
        b"---\r\ntopics:\r\n  - AI\r\ntitle: t\r\n---\r\n",
        "topics",
        ["AI", "ML"],
        b"---\r\ntopics:\r\n  - AI\r\n  - ML\r\ntitle: t\r\n---\r\n",
    ),
]


@pytest.mark.parametrize(("name", "before", "field", "value", "after"), EDITS, ids=[edit[0] for edit in EDITS])
def test_an_edit_changes_exactly_that_field(tmp_path, name, before, field, value, after):
    assert edit_field(before, field, value, "a.txt").raw == after
    path = write_document(tmp_path, "a.txt", before)
    change = set_field(tmp_path, "a.txt", field, value, editor="Ann")
    assert path.read_bytes() == after
    assert change.entry.field == field and change.entry.new == value
    # Undo gives back the exact bytes.
    (outcome,) = undo_last(tmp_path)
    assert outcome.status == "changed" and path.read_bytes() == before


def test_the_seed_gets_a_new_title_and_nothing_else_moves(seed_only):
    path = seed_only / SEED_ID
    before = path.read_bytes()
    set_field(seed_only, SEED_ID, "title", "Stream it: a fable about AI")
    after = path.read_bytes()
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
    assert changed == [(changed[0][0], b'title: "Stream it: a fable about AI"')]  # the seed's title is double-quoted
    assert load_collection(seed_only).frame.loc[SEED_ID, "title"] == "Stream it: a fable about AI"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", "", "cannot be empty"),
        ("title", "two\nlines", "must be one line"),
        ("title", "x" * 501, "at most 500"),
        ("category", "bell\x07", "control character U\\+0007"),
        ("type", "a\u2028b", "control character U\\+2028"),
        ("topics", ["ok", ""], "a topic cannot be empty"),
        ("topics", "AI", "must be a list"),
        ("quality", "90", "cannot be edited here"),
        ("secured", "x", "cannot be edited here"),
        ("title", 5, "must be text"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(seed_only, field, value, reason):
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(InvalidValueError, match=reason) as error:
        set_field(seed_only, SEED_ID, field, value)
    assert error.value.path == field
    assert (seed_only / SEED_ID).read_bytes() == before
    assert not (seed_only / ".curation" / "audit.jsonl").exists()


ODD_TOPICS = "---\ntitle: t\ntopics:\n  - 0x1F\n  - AI   # first\n  # a comment line\n  - 1.50\n  - 12:30\n  - 017\nheat: 1\n---\n"


@pytest.mark.parametrize(
    ("add", "remove", "after"),
    [
        (["New"], [], ODD_TOPICS.replace("  - 017\n", "  - 017\n  - New\n")),
        ([], ["31"], ODD_TOPICS.replace("  - 0x1F\n", "")),  # 0x1F reads as 31
        (["New"], ["1.5"], ODD_TOPICS.replace("  - 1.50\n", "").replace("  - 017\n", "  - 017\n  - New\n")),
        ([], ["AI"], ODD_TOPICS.replace("  - AI   # first\n", "")),
    ],
)
def test_a_topic_edit_keeps_untouched_items_lines_and_comments(tmp_path, add, remove, after):
    path = write_document(tmp_path, "a.txt", ODD_TOPICS)
    change_topics(tmp_path, "a.txt", add=add, remove=remove)
    assert path.read_text() == after
    (outcome,) = undo_last(tmp_path)
    assert outcome.status == "changed" and path.read_text() == ODD_TOPICS


def test_a_flow_list_keeps_untouched_items_text(tmp_path):
    path = write_document(tmp_path, "a.txt", "---\ntitle: t\ntopics: [0x1F, 1.50, '12:30', AI]\n---\n")
    change_topics(tmp_path, "a.txt", add=["New"], remove=["AI"])
    assert path.read_text() == "---\ntitle: t\ntopics: [0x1F, 1.50, '12:30', New]\n---\n"


def test_topics_are_added_and_removed(tmp_path):
    path = write_document(tmp_path, "a.txt", "---\ntitle: t\ntopics:\n  - AI\n  - Climate\n---\n")
    change_topics(tmp_path, "a.txt", add=["Space"], remove=["Climate"])
    assert path.read_bytes() == b"---\ntitle: t\ntopics:\n  - AI\n  - Space\n---\n"
    unchanged = change_topics(tmp_path, "a.txt", add=["AI"])  # already there
    assert not unchanged.changed


def test_a_stale_sha_is_a_conflict_and_read_only_refuses(seed_only, monkeypatch):
    path = seed_only / SEED_ID
    seen = load_collection(seed_only).frame.loc[SEED_ID, "sha256"]
    path.write_bytes(path.read_bytes().replace(b"heat: 72", b"heat: 73"))
    with pytest.raises(ConflictError):
        set_field(seed_only, SEED_ID, "category", "politics", expected_sha=seen)
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    with pytest.raises(ReadOnlyError):
        set_field(seed_only, SEED_ID, "category", "politics")
    assert b"category: news" in path.read_bytes()


def test_a_problem_document_is_refused(tmp_path):
    write_document(tmp_path, "a.txt", "---\ntitle: t\nheat: hot\n---\n")
    with pytest.raises(PublishRefusedError, match="until fixed"):
        set_field(tmp_path, "a.txt", "title", "New")


def test_bulk_edits_report_one_outcome_per_id_and_undo_each(docs):
    ids = sorted(path.name for path in docs.glob("demo_*.txt"))[:3]
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in ids}
    outcomes = write_many(
        [*ids, "../x.txt"], lambda doc_id, **options: set_field(docs, doc_id, "category", "politics", **options)
    )
    assert [outcome.status for outcome in outcomes][-1] == "refused"
    assert all(load_collection(docs).frame.loc[ids, "category"] == "politics")
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert len({entry.batch for entry in entries}) == 1
    for entry in entries:
        assert undo_change(docs, entry.change).status == "changed"
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before


# A title an editor could type: any printable text on one line, trimmed.
titles = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029\x85\ufeff"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
topic_lists = st.lists(titles.map(lambda text: text[:30].strip()).filter(bool), max_size=5, unique=True)


def front_matter_of(raw: bytes) -> dict:
    """The front matter between the first two lines that are exactly `---` (a value may contain `---`)."""
    text = raw.decode("utf-8-sig")
    return yaml.safe_load(re.match(r"---\r?\n(.*?)^---\r?$", text, re.S | re.M)[1])


@settings(max_examples=examples(1 / 2))
@given(
    template=st.sampled_from([edit[1] for edit in EDITS if edit[2] in ("title", "topics")]),
    title=titles,
    topics=topic_lists,
)
def test_any_valid_value_reads_back_as_itself_and_changes_nothing_else(template, title, topics):
    """For any value an editor may set, the file parses back to that value and every other field is equal."""
    for field, value in (("title", title), ("topics", topics)):
        edited = edit_field(template, field, value, "a.txt")  # never refused for a valid value
        before, after = front_matter_of(template), front_matter_of(edited.raw)
        if field == "title":
            assert after["title"] == value
        else:
            assert [str(topic) for topic in after["topics"]] == value
        assert {k: v for k, v in after.items() if k != field} == {k: v for k, v in before.items() if k != field}


@given(st.text(max_size=40))
def test_double_quoted_reads_back_as_any_text(text):
    assert yaml.safe_load("k: " + double_quoted(text)) == {"k": text}
