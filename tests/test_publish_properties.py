"""Property: over generated documents, a toggle changes or inserts exactly one line."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from curation.documents import parse_front_matter
from curation.editing.publish import YAML_BOOLEANS, published_edit, set_published
from tests.conftest import examples

safe_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85"),
    min_size=1,
    max_size=30,
).filter(str.strip)
comment = st.sampled_from(["", "  # checked", "\t# by Ann: ok"])


@st.composite
def documents(draw) -> tuple[bytes, bool]:
    """A valid document with random fields, order, spelling, comments, line endings and body."""
    fields = {
        "title": f"title: {json.dumps(draw(safe_text), ensure_ascii=False)}",
        "secured": f'secured: "{draw(st.text("abcXYZ0129+/=;", min_size=1, max_size=40))}"',
    }
    if draw(st.booleans()):
        fields["quality"] = f"quality: {draw(st.integers(0, 100))}{draw(comment)}"
    if draw(st.booleans()):
        fields["heat"] = f"heat: {draw(st.integers(0, 100))}{draw(comment)}"
    if draw(st.booleans()):
        fields["topics"] = "topics:\n" + "\n".join(
            f"  - {json.dumps(t, ensure_ascii=False)}" for t in draw(st.lists(safe_text, max_size=3))
        )
    if draw(st.booleans()):
        nested = draw(st.sampled_from(sorted(YAML_BOOLEANS)))
        fields["related"] = f"related:\n  - title: r\n    published: {nested}"
    if draw(st.booleans()):
        spelling = draw(st.sampled_from(sorted(YAML_BOOLEANS)))
        separator = draw(st.sampled_from([": ", ":  ", " : ", ":\t"]))
        fields["published"] = f"published{separator}{spelling}{draw(comment)}"
    order = draw(st.permutations(sorted(fields)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    body = draw(st.sampled_from(["", "Body text.\n", "---\npublished: true\n---\n"]))
    text = newline.join(["---", *(fields[key] for key in order), "---", ""]) + body
    text = text.replace("\n", newline) if newline == "\r\n" else text
    text = text.replace("\r\r\n", "\r\n")
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), draw(st.booleans())


@given(documents())
def test_one_line_changes_or_one_is_inserted(case):
    raw, value = case
    old_published = parse_front_matter(raw, "a.txt").data.get("published", False)
    new = published_edit(raw, value, "a.txt").raw
    assert parse_front_matter(new, "a.txt").data.get("published", False) is value
    old_lines, new_lines = raw.split(b"\n"), new.split(b"\n")
    if old_published is value:
        event("already so")
        assert new == raw
    elif len(new_lines) == len(old_lines):
        event("one line changed")
        changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
        assert len(changed) == 1
        assert old_lines[changed[0]].startswith(b"published") and new_lines[changed[0]].startswith(b"published")
    else:
        event("one line inserted")
        assert len(new_lines) == len(old_lines) + 1
        inserted = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b)
        assert new_lines[inserted].rstrip(b"\r") == (b"published: true" if value else b"published: false")
        assert new_lines[:inserted] + new_lines[inserted + 1 :] == old_lines
    assert published_edit(new, value, "a.txt").raw == new  # a second identical call changes nothing


@settings(max_examples=examples(2 / 15), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_a_second_identical_call_writes_nothing(tmp_path, case):
    raw, value = case
    path = tmp_path / "a.txt"
    path.write_bytes(raw)
    set_published(tmp_path, "a.txt", value)
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    assert not set_published(tmp_path, "a.txt", value).changed
    assert path.read_bytes() == first and path.stat().st_mtime_ns == mtime
