"""Set a text or list field of one document by rewriting only that field's lines.

The editable fields are `title`, `excerpt`, `category`, `type` (text) and
`topics` (a list of text). The new value is written in the style the field
already had where that is safe:

- a plain scalar stays plain when the new text parses back to itself,
  a single-quoted one stays single-quoted when it fits on one line;
  anything else becomes a double-quoted scalar (escapes for what YAML
  would not keep literally);
- a block list stays a block list (items at the same indentation), a flow
  list stays a flow list; items that did not change keep their exact text;
  a list emptied becomes `[]`;
- a missing field is inserted as one line before the closing `---`.

The edited text is parsed again and must equal the old front matter except
for this field, which must equal the new value; otherwise nothing is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from curation.documents import UTF8_BOM, FrontMatter, SafeYamlLoader, article_fields, parse_front_matter
from curation.errors import DocumentError, InvalidValueError, PublishRefusedError

EDITABLE_TEXT_FIELDS = ("title", "excerpt", "category", "type")
EDITABLE_FIELDS = (*EDITABLE_TEXT_FIELDS, "topics")
MAX_LENGTH = {"title": 500, "excerpt": 5000, "category": 100, "type": 100, "topics": 100}
# What PyYAML's reader accepts literally; everything else is written as an escape.
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS_FOR_YAML = {"\x85", "\u2028", "\u2029", "\ufeff"}  # line breaks (and a BOM) to YAML: always escaped
_LOADERS = tuple(dict.fromkeys((SafeYamlLoader, yaml.SafeLoader)))
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


@dataclass(frozen=True)
class Edit:
    """A file's bytes after an edit, and the lines it rewrote (for the audit log and undo)."""

    field: str
    old: Any
    new: Any
    raw: bytes
    line: int | None = None  # the first file line the edit touched
    before: str | None = None  # those lines' exact text before, joined by \n (None: inserted)
    after: str | None = None  # their exact text after (None: removed)


def check_value(field: str, value: Any) -> Any:
    """The value as it will be written, or InvalidValueError naming the field and what is wrong."""
    if field not in EDITABLE_FIELDS:
        raise InvalidValueError(field, f"cannot be edited here; editable fields: {', '.join(EDITABLE_FIELDS)}")
    if field == "topics":
        if not isinstance(value, (list, tuple)):
            raise InvalidValueError(field, "must be a list of topics")
        topics = [check_value_text("topics", item, one_line=True) for item in value]
        if any(not topic for topic in topics):
            raise InvalidValueError(field, "a topic cannot be empty")
        return list(dict.fromkeys(topics))  # a topic once, in the order given
    text = check_value_text(field, value, one_line=field != "excerpt")
    if field == "title" and not text:
        raise InvalidValueError(field, "cannot be empty; every article needs a title")
    return text


def check_value_text(field: str, value: Any, *, one_line: bool) -> str:
    if not isinstance(value, str):
        raise InvalidValueError(field, "must be text")
    text = value.strip()
    if one_line and ("\n" in text or "\r" in text):
        raise InvalidValueError(field, "must be one line")
    allowed = "" if one_line else "\n\t"
    for char in text:
        if char not in allowed and (unicodedata.category(char) in ("Cc", "Cs") or char in _BREAKS_FOR_YAML):
            raise InvalidValueError(field, f"contains the control character U+{ord(char):04X}; remove it")
    if len(text) > MAX_LENGTH[field]:
        raise InvalidValueError(field, f"is {len(text):,} characters; at most {MAX_LENGTH[field]:,} are allowed")
    return text


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    parts = []
    for char in text:
        if char in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[char])
        elif _PRINTABLE.fullmatch(char) and char not in _BREAKS_FOR_YAML:
            parts.append(char)
        elif ord(char) <= 0xFF:
            parts.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(f"\\U{ord(char):08x}")
    return '"' + "".join(parts) + '"'


def _reads_back_as(candidate: str, text: str, *, in_list: bool) -> bool:
    """Whether the candidate, as a top-level value (or as a list item, in a flow list and in a block list:
    `,` is fine in a block item and `-` in a flow one, not the other way round), reads back as the text."""
    if in_list:
        sources = (f"k: [{candidate}]\n", f"k:\n  - {candidate}\n")
        expected = {"k": [text]}
    else:
        sources, expected = (f"k: {candidate}\n",), {"k": text}
    try:
        # libyaml and the pure-Python parser differ at the edges (`[0?]`): both must agree.
        return all(yaml.load(source, Loader=loader) == expected for source in sources for loader in _LOADERS)
    except yaml.YAMLError:
        return False


def scalar_in_style(text: str, style: str | None, *, in_list: bool = False) -> str:
    """`text` as a scalar in the given style (None plain, "'" single) when it reads back exactly, else double."""
    one_printable_line = all(_PRINTABLE.fullmatch(char) for char in text) and not _BREAKS_FOR_YAML & set(text)
    if not style and one_printable_line and text and _reads_back_as(text, text, in_list=in_list):
        return text
    if style == "'" and one_printable_line:
        candidate = "'" + text.replace("'", "''") + "'"
        if _reads_back_as(candidate, text, in_list=in_list):
            return candidate
    return double_quoted(text)


def edit_field(raw: bytes, field: str, new_value: Any | Callable[[Any], Any], path: str) -> Edit:
    """The edit that sets one field; `new_value` may be a function of the current value (for topics)."""
    before = parse_front_matter(raw, path)
    current = article_fields(before, path)  # a problem document raises here
    old = current[field] if before.line_of(field) is not None else None
    wanted = check_value(field, new_value(current[field]) if callable(new_value) else new_value)
    if old == wanted:
        return Edit(field, old, wanted, raw)
    text = before.text
    newline = "\r\n" if text[: text.find("\n") + 1].endswith("\r\n") else "\n"
    if old is None:
        start = end = before.yaml_end  # a missing field: one line before the closing `---`
        replacement = f"{field}: {_serialized(field, wanted, None)}{newline}"
    else:
        start, end, replacement = _replacement(before, field, wanted, newline)
    new_text = text[:start] + replacement + text[end:]
    bom = UTF8_BOM if raw.startswith(UTF8_BOM) else b""
    new_raw = bom + new_text.encode("utf-8")
    check_only_field_changed(before, new_raw, field, wanted, path)
    return _edit_record(field, old, wanted, text, new_text, start, end, replacement, new_raw)


def _value_nodes(front_matter: FrontMatter, field: str) -> tuple[yaml.Node, yaml.Node]:
    yaml_text = front_matter.text[front_matter.yaml_start : front_matter.yaml_end]
    root = yaml.compose(yaml_text, Loader=SafeYamlLoader)
    for key_node, value_node in root.value:
        if key_node.value == field:
            return key_node, value_node
    raise AssertionError(f"{field} was parsed but not composed")  # parse_front_matter found it


def _replacement(front_matter: FrontMatter, field: str, wanted: Any, newline: str) -> tuple[int, int, str]:
    """(start, end, new text) of the span in the file text that holds the field's value."""
    key_node, node = _value_nodes(front_matter, field)
    offset = front_matter.yaml_start
    start, end = node.start_mark.index + offset, node.end_mark.index + offset
    text = front_matter.text
    ends_line = end > start and text[end - 1] == "\n"  # block scalars and block lists own their newline
    if field == "topics" and isinstance(node, yaml.SequenceNode) and not node.flow_style and wanted:
        kept_lines = _block_list_keeping_lines(front_matter, node, wanted, newline)
        if kept_lines is not None:
            return kept_lines
        indent = " " * node.start_mark.column
        items = _items_text(front_matter, node, wanted)
        return start, end, (newline + indent).join(f"- {item}" for item in items) + newline
    if field == "topics" and not (isinstance(node, yaml.SequenceNode) and node.flow_style):
        # An emptied block list, or a one-topic scalar: a flow list right after the key.
        start = key_node.end_mark.index + offset
        flow = "[" + ", ".join(_items_text(front_matter, node, wanted)) + "]"
        return start, end, ": " + flow + (newline if ends_line else "")
    if field == "topics":
        return start, end, "[" + ", ".join(_items_text(front_matter, node, wanted)) + "]"
    value = _serialized(field, wanted, getattr(node, "style", None))
    if start == end:  # `title:` with nothing after it
        value = " " + value
    return start, end, value + (newline if ends_line else "")


def _current_topics(front_matter: FrontMatter) -> list[str]:
    """The topics as an article reads them, item by item (`0x1F` is "31": YAML reads it as a number)."""
    value = front_matter.data.get("topics")
    return [str(item) for item in value] if isinstance(value, list) else []


def _items_text(front_matter: FrontMatter, node: yaml.Node, wanted: list[str]) -> list[str]:
    """Each wanted topic as YAML text; an item that was there already keeps its exact text."""
    kept: dict[str, str] = {}
    if isinstance(node, yaml.SequenceNode):
        offset, text = front_matter.yaml_start, front_matter.text
        for item, topic in zip(node.value, _current_topics(front_matter), strict=False):
            source = text[item.start_mark.index + offset : item.end_mark.index + offset]
            if isinstance(item, yaml.ScalarNode) and "\n" not in source:
                kept.setdefault(topic, source)
    return [kept.get(topic) or scalar_in_style(topic, None, in_list=True) for topic in wanted]


def _block_list_keeping_lines(
    front_matter: FrontMatter, node: yaml.SequenceNode, wanted: list[str], newline: str
) -> tuple[int, int, str] | None:
    """(start, end, new text) of a block list whose kept items keep their whole lines, comments and comment
    lines between them included: removed items' lines go, added ones come after the last item. None when
    the kept topics are not in their old order, or an item is not one plain line (then items are rewritten)."""
    current = _current_topics(front_matter)
    if len(current) != len(node.value) or len(set(current)) != len(current):
        return None
    kept = [topic for topic in current if topic in wanted]
    added = [topic for topic in wanted if topic not in current]
    if [topic for topic in wanted if topic in current] != kept:
        return None
    text, offset = front_matter.text, front_matter.yaml_start
    lines: list[tuple[int, int, str | None]] = []  # (start, end with its newline, the topic on it or None)
    for item, topic in zip(node.value, current, strict=True):
        if not isinstance(item, yaml.ScalarNode) or item.start_mark.line != item.end_mark.line:
            return None
        line_start = text.rfind("\n", 0, item.start_mark.index + offset) + 1
        if text[line_start : item.start_mark.index + offset].strip() != "-":
            return None  # `-` on a line of its own, or two items on a line
        line_end = text.index("\n", item.start_mark.index + offset) + 1
        lines.append((line_start, line_end, topic))
    start, end = lines[0][0], lines[-1][1]
    parts: list[str] = []
    at = start
    for line_start, line_end, topic in lines:
        parts.append(text[at:line_start])  # comment lines between items stay
        if topic in wanted:
            parts.append(text[line_start:line_end])
        at = line_end
    indent = " " * node.start_mark.column
    parts += [f"{indent}- {scalar_in_style(topic, None, in_list=True)}{newline}" for topic in added]
    return start, end, "".join(parts)


def _serialized(field: str, value: Any, style: str | None) -> str:
    if field == "topics":
        return "[" + ", ".join(scalar_in_style(topic, None, in_list=True) for topic in value) + "]"
    if style in ("|", ">"):
        style = '"'  # a block scalar is replaced by one line
    return scalar_in_style(value, style)


def _edit_record(
    field: str, old: Any, new: Any, text: str, new_text: str, start: int, end: int, replacement: str, new_raw: bytes
) -> Edit:
    """The whole lines the edit touched, before and after, for the log and for undo."""
    line_start = text.rfind("\n", 0, start) + 1
    first_line = text.count("\n", 0, line_start) + 1
    old_end = _line_end(text, end)
    new_end = _line_end(new_text, start + len(replacement))
    before = text[line_start:old_end]
    after = new_text[line_start:new_end]
    if start == end and line_start == start and replacement.endswith("\n"):
        before, after = None, replacement[:-1]  # a whole line inserted before another (its \r stays)
    return Edit(field, old, new, new_raw, first_line, before, after)


def _line_end(text: str, at: int) -> int:
    """The end of the line holding position `at` (a position just after a newline ends the line before)."""
    if at > 0 and text[at - 1] == "\n":
        return at - 1
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline


def check_only_field_changed(
    before: FrontMatter, new_raw: bytes, field: str, wanted: Any, path: str, *, as_read: bool = False
) -> None:
    """Refuse (PublishRefusedError) new bytes that change anything but `field`, or leave it other than
    `wanted` (None: the field is gone): the proof every edit and every undo passes before it is written.
    An edit compares the YAML value it wrote; an undo (`as_read`) the value as an article reads it (an audit
    entry logs that: `category: 123` was "123")."""
    try:
        after = parse_front_matter(new_raw, path)
        value = article_fields(after, path)[field]
    except DocumentError as error:
        raise PublishRefusedError(path, f"the edit would break the file ({error.message})", error.line) from None
    others_before = {key: item for key, item in before.data.items() if key != field}
    others_after = {key: item for key, item in after.data.items() if key != field}
    same_body = before.text[before.yaml_end :] == after.text[after.yaml_end :]
    raw_value = after.data.get(field)
    if wanted is None:
        exact = field not in after.data
    else:
        exact = (value if as_read or field == "topics" else raw_value) == wanted
    if others_before != others_after or not exact or not same_body:
        raise PublishRefusedError(path, f"the edit would change more than `{field}`; edit this file by hand")
