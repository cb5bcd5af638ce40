"""One article file -> its front matter and the fields of one row, or a DocumentError.

A document is a UTF-8 text file whose first line is `---`, followed by YAML
front matter closed by the next `---` line; a body after that is ignored.
PyYAML's safe loaders define what front matter means, and documents that use
anchors, aliases or duplicate top-level keys are refused before anything is
built. Loading (read_article) first offers the text to
curation.fast_front_matter, which reads the plain subset of YAML the real
documents use with the same result, and hands everything else back to PyYAML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from curation.errors import DocumentError
from curation.fast_front_matter import ListSummary, read_plain_front_matter
from curation.problems import ProblemKind, one_line
from curation.safe_markdown import http_url

try:  # libyaml is ~10x faster; the pure-Python loader is only a fallback.
    SafeYamlLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    SafeYamlLoader = yaml.SafeLoader

DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt", ".yaml", ".yml")
MAX_DOCUMENT_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"

_CLOSING_LINE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
# YAML reads these as line breaks, but an editor's screen, our line numbers and
# the one-line publish edit do not: `# note<U+2028>published: true` is a live key.
_YAML_ONLY_LINE_BREAKS = {
    "\x85": "U+0085 NEXT LINE (NEL)",
    "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
}
_LONE_CR = re.compile(r"\r(?!\n)")
# What YAML refuses to read at all (PyYAML's Reader.NON_PRINTABLE); only used to explain a refusal.
_NOT_YAML_TEXT = re.compile("[^\t\n\r -~\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Anchors and aliases can only start after white space or a flow indicator;
# text without such a spot needs no event scan (most documents).
_MAYBE_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*][^\s\[\]{},]")

URL_FIELDS = ("webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl")
PLAIN_TEXT_FIELDS = ("excerpt", "category", "type", *URL_FIELDS)


@dataclass(frozen=True)
class FrontMatter:
    """The parsed front matter of one file, with where it sits in the text."""

    data: dict[str, Any]
    text: str  # the whole file, decoded, without a BOM
    yaml_start: int  # offset in text of the first YAML character
    yaml_end: int  # offset in text of the closing `---` line
    key_lines: dict[str, int]  # top-level key -> 1-based line in the file
    single_line_keys: frozenset[str]  # keys whose value is a scalar on the key's line
    plain_subset: bool = False  # read by curation.fast_front_matter: its text cannot hold half a UTF-16 pair

    def line_of(self, key: str) -> int | None:
        """The file line where a top-level key is written."""
        return self.key_lines.get(key)


def sha256_of(raw: bytes) -> str:
    """The hex sha256 that identifies one version of a file."""
    return hashlib.sha256(raw).hexdigest()


def too_large(path: str, size: int, what: str = "file") -> DocumentError:
    """The error for a document over the size limit, with its real size (a reader stops one byte over)."""
    return DocumentError(
        path,
        f"{what} is {size:,} bytes ({size / 2**20:,.1f} MiB), over the limit of 1 MiB ({MAX_DOCUMENT_BYTES:,} bytes) "
        "for a document; move the body elsewhere or split the file",
        kind=ProblemKind.TOO_LARGE,
    )


def decode_document(raw: bytes, path: str) -> str:
    """Bytes -> text without a BOM; a DocumentError names the first bad line."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise too_large(path, len(raw))  # the readers raise first with the size on disk; this is the backstop
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    nul = raw.find(b"\0")
    if nul >= 0:
        # Checked before decoding: UTF-16 text without a BOM is valid UTF-8 full of NULs.
        line = raw.count(b"\n", 0, nul) + 1
        raise DocumentError(
            path,
            f"contains a NUL byte (0x00) at line {line}; this is not a text file, or it was saved "
            "as UTF-16: re-save it as UTF-8 text",
            line,
            kind=ProblemKind.ENCODING,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DocumentError(
            path,
            f"not UTF-8 (byte 0x{raw[error.start]:02x}); re-save the file as UTF-8",
            line,
            kind=ProblemKind.ENCODING,
        ) from None


def parse_front_matter(raw: bytes, path: str, summarized: tuple[str, ...] = (), *, fast: bool = False) -> FrontMatter:
    """Split and parse the front matter of one file's bytes.

    Keys in `summarized` whose value is a list are not built in full: they hold
    a ListSummary (length and first image URL), which is all a row needs and
    saves about a third of the parse time. With `fast`, front matter in the
    plain subset of YAML that curation.fast_front_matter recognises is read
    by it; the result is the same, and everything else goes to PyYAML.
    """
    text = decode_document(raw, path)
    first_line_end = text.find("\n")
    first_line = text if first_line_end < 0 else text[:first_line_end]
    if first_line.rstrip("\r \t") != "---":
        if "\r" in first_line.rstrip("\r"):
            raise DocumentError(
                path,
                "the file uses old Mac line endings (a carriage return, CR, with no line feed); "
                "re-save it with LF (Unix) line endings",
                1,
                kind=ProblemKind.LINE_BREAK,
            )
        raise DocumentError(path, "no front matter: the first line must be `---`", 1, kind=ProblemKind.FRONT_MATTER)
    yaml_start = first_line_end + 1 if first_line_end >= 0 else len(text)
    yaml_end = _closing_line_start(text, yaml_start)
    _refuse_hidden_line_breaks(text, yaml_start, len(text) if yaml_end is None else yaml_end, path)
    if yaml_end is None:
        raise DocumentError(
            path,
            "front matter is never closed: add a `---` line after the last field",
            1,
            kind=ProblemKind.FRONT_MATTER,
        )
    yaml_text = text[yaml_start:yaml_end]
    plain = read_plain_front_matter(yaml_text, summarized) if fast else None
    if plain is not None:
        return FrontMatter(plain[0], text, yaml_start, yaml_end, plain[1], plain[2], plain_subset=True)
    data, key_lines, single_line_keys = _load_mapping(yaml_text, path, summarized)
    return FrontMatter(data, text, yaml_start, yaml_end, key_lines, single_line_keys)


def _refuse_hidden_line_breaks(text: str, start: int, end: int, path: str) -> None:
    """A DocumentError for the first character in text[start:end] that YAML alone reads as a line break."""
    found = [at for at in (text.find(char, start, end) for char in _YAML_ONLY_LINE_BREAKS) if at >= 0]
    if text.find("\r", start, end) >= 0:  # CRLF files have a CR on every line: only a lone one counts
        lone_cr = _LONE_CR.search(text, start, end)
        if lone_cr is not None:
            found.append(lone_cr.start())
    if not found:
        return
    at = min(found)
    line = text.count("\n", 0, at) + 1
    if text[at] == "\r":
        message = (
            f"line {line} ends with a lone carriage return (CR, an old Mac line ending), which YAML reads "
            "as a line break; re-save the file with LF (Unix) line endings"
        )
    else:
        message = (
            f"line {line} contains {_YAML_ONLY_LINE_BREAKS[text[at]]}, an invisible character that YAML "
            "reads as a line break; replace it with a space"
        )
    raise DocumentError(path, message, line, kind=ProblemKind.LINE_BREAK)


def _closing_line_start(text: str, start: int) -> int | None:
    """Where the next line that is just `---` starts (str.find is much faster than a regex here)."""
    at = start
    while True:
        if text.startswith("---", at) and _CLOSING_LINE.match(text, at):
            return at
        newline = text.find("\n---", at)
        if newline < 0:
            return None
        at = newline + 1


def _load_mapping(
    yaml_text: str, path: str, summarized: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, int], frozenset[str]]:
    """YAML text -> (mapping, key -> file line); refuses what could mislead."""
    # The YAML starts on line 2 of the file; marks count lines from 0.
    line_offset = 2
    try:
        if ("&" in yaml_text or "*" in yaml_text) and _MAYBE_ANCHOR_OR_ALIAS.search(yaml_text):
            _refuse_anchors_and_aliases(yaml_text, path, line_offset)
        loader = SafeYamlLoader(yaml_text)
        try:
            node = loader.get_single_node()
            if not isinstance(node, yaml.MappingNode):
                line = node.start_mark.line + line_offset if node is not None else 2
                raise DocumentError(
                    path,
                    "front matter is not a mapping of `key: value` lines",
                    line,
                    kind=ProblemKind.NOT_A_MAPPING,
                )
            key_lines, single_line_keys = _top_level_keys(node, path, line_offset)
            data = _construct_mapping(loader, node, path, line_offset, summarized)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as error:
        raise _unreadable_character(yaml_text, path, line_offset, error) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + line_offset if mark is not None else None
        reason = error.problem or str(error)
        if "nesting depth" in reason:
            raise DocumentError(
                path, "front matter is nested too deeply to read", line, kind=ProblemKind.TOO_DEEP
            ) from None
        message = f"YAML syntax error: {one_line(reason)}{_where_the_quote_opened(error, line_offset)}"
        raise DocumentError(path, message, line, kind=ProblemKind.YAML_SYNTAX) from None
    except yaml.YAMLError as error:
        raise DocumentError(path, f"YAML error: {one_line(str(error))}", kind=ProblemKind.YAML_SYNTAX) from None
    except RecursionError:
        raise DocumentError(path, "front matter is nested too deeply to read", kind=ProblemKind.TOO_DEEP) from None
    return data, key_lines, single_line_keys


def _where_the_quote_opened(error: yaml.MarkedYAMLError, line_offset: int) -> str:
    """For a quoted value that is never closed, where its quote opened: libyaml reports only where the text ended."""
    opened, ended, problem = error.context_mark, error.problem_mark, error.problem or ""
    if opened is None or ended is None or "quoted scalar" not in (error.context or ""):
        return ""
    if opened.line == ended.line or not ("end of stream" in problem or "document separator" in problem):
        return ""  # another fault inside a quoted value, or one the reported line already shows
    return (
        f" at the end of the front matter; the quote opened on line {opened.line + line_offset} "
        "is never closed: add the closing quote"
    )


def _unreadable_character(yaml_text: str, path: str, line_offset: int, error: Exception) -> DocumentError:
    """The problem for a character YAML refuses to read, naming it and its line."""
    # Found again here rather than taken from the error: libyaml and PyYAML count positions differently.
    found = _NOT_YAML_TEXT.search(yaml_text)
    if found is None:
        return DocumentError(path, f"YAML error: {one_line(str(error))}", kind=ProblemKind.YAML_SYNTAX)
    line = yaml_text.count("\n", 0, found.start()) + line_offset
    return DocumentError(
        path,
        f"line {line} contains the character U+{ord(found.group()):04X}, which YAML does not allow "
        "(a control or non-character); delete it",
        line,
        kind=ProblemKind.YAML_SYNTAX,
    )


def _summarize(loader: Any, node: yaml.SequenceNode) -> ListSummary:
    first_url = ""
    for item in node.value:
        url_node = item
        if isinstance(item, yaml.MappingNode):
            url_node = next((value for key, value in item.value if key.value == "url"), None)
        if isinstance(url_node, yaml.ScalarNode):
            url = loader.construct_object(url_node)
            if isinstance(url, str) and url:
                first_url = url
                break
    return ListSummary(len(node.value), first_url)


def _construct_mapping(
    loader: Any, node: yaml.MappingNode, path: str, line_offset: int, summarized: tuple[str, ...] = ()
) -> dict[str, Any]:
    # Value by value, so a value that cannot be built names its own line.
    data: dict[str, Any] = {}
    for key_node, value_node in node.value:
        try:
            if key_node.value in summarized and isinstance(value_node, yaml.SequenceNode):
                data[key_node.value] = _summarize(loader, value_node)
                continue
            data[loader.construct_object(key_node, deep=True)] = loader.construct_object(value_node, deep=True)
        except (ValueError, TypeError, OverflowError) as error:
            # e.g. a timestamp such as 2023-02-30 that matches YAML's pattern
            line = key_node.start_mark.line + line_offset
            raise DocumentError(
                path, f"unreadable value: {one_line(str(error))}", line, kind=ProblemKind.YAML_SYNTAX
            ) from None
        except (AttributeError, KeyError, IndexError):
            # PyYAML's constructors fail this way on text an explicit tag does not fit, e.g. `!!timestamp 'soon'`
            line = key_node.start_mark.line + line_offset
            message = "unreadable value: it does not have the form its YAML tag (like `!!timestamp`) asks for"
            raise DocumentError(path, message, line, kind=ProblemKind.YAML_SYNTAX) from None
    return data


def _refuse_anchors_and_aliases(yaml_text: str, path: str, line_offset: int) -> None:
    for event in yaml.parse(yaml_text, Loader=SafeYamlLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise DocumentError(
                path,
                "YAML anchors and aliases (&name, *name) are not allowed; write the value out in full",
                event.start_mark.line + line_offset,
                kind=ProblemKind.ANCHOR,
            )


def _top_level_keys(node: yaml.MappingNode, path: str, line_offset: int) -> tuple[dict[str, int], frozenset[str]]:
    key_lines: dict[str, int] = {}
    single_line: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + line_offset
        if key in key_lines:
            raise DocumentError(
                path,
                f"key `{_escaped(key)}` appears twice (also on line {key_lines[key]}); keep one",
                line,
                kind=ProblemKind.DUPLICATE_KEY,
            )
        key_lines[key] = line
        if isinstance(value_node, yaml.ScalarNode) and value_node.end_mark.line == key_node.start_mark.line:
            single_line.add(key)
    return key_lines, frozenset(single_line)


def _escaped(text: str) -> str:
    """Text with line breaks and other control characters written as escapes, for a one-line message."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _shown(value: Any) -> str:
    if value is None:
        return "an empty value"
    try:
        return repr(value)
    except ValueError:  # an int over Python's 4,300-digit limit for turning numbers into text
        return "a number too long to show"


def article_fields(front_matter: FrontMatter, path: str) -> dict[str, Any]:
    """Validate the front matter and return the typed fields of one row."""
    data = front_matter.data
    line_of = front_matter.line_of

    def problem(key: str, message: str) -> DocumentError:
        return DocumentError(path, message, line_of(key), kind=ProblemKind.INVALID_FIELD)

    def text(key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float, dt.date)):
            raise problem(key, f"`{key}` must be text; put the value in quotes")
        try:
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        except ValueError:  # an int over Python's 4,300-digit limit for turning numbers into text
            raise problem(key, f"`{key}` must be text; put the value in quotes") from None

    title = text("title").strip()
    if not title:
        raise problem("title", "`title` is missing or empty; every article needs one")

    fields: dict[str, Any] = {"title": title}
    for key in PLAIN_TEXT_FIELDS:
        fields[key] = text(key)
    fields["publishedDateTime"] = _date_time(data.get("publishedDateTime"), problem)
    for key in ("quality", "heat"):
        value = data.get(key)
        if key in data and not (type(value) is int and 0 <= value <= 100):
            raise problem(key, f"`{key}` must be a whole number from 0 to 100, not {_shown(value)}")
        fields[key] = value
    published = data.get("published", False)
    if not isinstance(published, bool):
        raise problem("published", f"`published` must be true or false, not {_shown(published)}")
    fields["published"] = published
    fields["provider"], fields["domain"] = _provider(data.get("provider"), problem)
    fields["topics"] = _topics(data.get("topics"), problem)
    images = _list_of(data.get("images"), "images", problem)
    if isinstance(images, ListSummary):
        fields["image"], fields["images"] = images.first_url, images.length
    else:
        fields["image"], fields["images"] = _first_image_url(images), len(images)
    related = _list_of(data.get("related"), "related", problem)
    fields["related"] = related.length if isinstance(related, ListSummary) else len(related)
    if not front_matter.plain_subset:  # its text is decoded UTF-8 and its only escapes are \\ \" \n \t
        _refuse_surrogates(fields, problem)
    return fields


# Which key of the front matter each text field of a row comes from.
_SOURCE_KEYS = {"domain": "provider", "image": "images", "topics": "topics"}


def _refuse_surrogates(fields: dict[str, Any], problem) -> None:
    """A problem for text no file can hold: a YAML escape like "\\ud800" gives half a UTF-16 pair."""
    for field, value in fields.items():
        for text in value if isinstance(value, list) else (value,):
            if isinstance(text, str) and not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    key = _SOURCE_KEYS.get(field, field)
                    message = (
                        f"`{key}` holds half a UTF-16 pair (an escape \\ud800-\\udfff); write the character itself"
                    )
                    raise problem(key, message) from None


def _date_time(value: Any, problem) -> dt.datetime | None:
    """A YAML timestamp, date or ISO 8601 string -> aware UTC; naive means UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise problem(
                "publishedDateTime",
                f"`publishedDateTime` is not a date-time: {value!r}; write it like 2023-01-24T22:31:00Z",
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            # e.g. 0001-01-01T00:00:00+05:00 is in the year 0 in UTC, which no date type holds
            raise problem(
                "publishedDateTime",
                f"`publishedDateTime` {value.isoformat()} is outside the years 1-9999 in UTC; check the date",
            ) from None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise problem("publishedDateTime", f"`publishedDateTime` is not a date-time: {value!r}")


def _provider(value: Any, problem) -> tuple[str, str]:
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict):
        name, domain = value.get("name"), value.get("domain")
        if all(part is None or isinstance(part, str) for part in (name, domain)):
            return name or "", domain or ""
    raise problem("provider", "`provider` must be a name, or `name:` and `domain:` lines")


def _topics(value: Any, problem) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(
        isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value
    ):
        return [str(item) for item in value]
    raise problem("topics", "`topics` must be a list of names, one `- name` line each")


def _list_of(value: Any, key: str, problem) -> list[Any] | ListSummary:
    if value is None:
        return []
    if isinstance(value, (list, ListSummary)):
        return value
    raise problem(key, f"`{key}` must be a list of `- ` items")


def _first_image_url(images: list[Any]) -> str:
    for image in images:
        url = image.get("url") if isinstance(image, dict) else image
        if isinstance(url, str) and url:
            return url
    return ""


def read_article(raw: bytes, path: str, *, fast: bool = True) -> dict[str, Any]:
    """One file's bytes -> the row the collection holds for it; `fast` never changes it, only its speed."""
    # Related items and images are only counted here; publishing still builds and compares everything,
    # always with PyYAML.
    front_matter = parse_front_matter(raw, path, summarized=("related", "images"), fast=fast)
    fields = article_fields(front_matter, path)
    fields["sha256"] = sha256_of(raw)
    return fields


HIDDEN_FIELDS = ("secured",)  # opaque to editors: never shown, only kept byte for byte


def document_details(raw: bytes, doc_id: str) -> dict[str, Any]:
    """Every front-matter field of one document's bytes except the hidden ones (all of them, fully built)."""
    data = parse_front_matter(raw, doc_id).data
    return {key: value for key, value in data.items() if key not in HIDDEN_FIELDS}


def image_urls(details: dict[str, Any]) -> tuple[list[str], int]:
    """The http(s) image URLs of a document, and how many other images were left out."""
    images = details.get("images") or []
    if not isinstance(images, list):
        return [], 0
    urls = [http_url(image.get("url") if isinstance(image, dict) else image) for image in images]
    shown = [url for url in urls if url]
    return shown, len(urls) - len(shown)
