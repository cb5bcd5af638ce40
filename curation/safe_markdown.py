"""Document text is data, never markup: what may become a link or an image.

Streamlit renders st.markdown, captions, toasts, alerts and widget labels with
react-markdown, remark-gfm and plugins of its own. Backslash escapes stop the
markdown parser, but several of those plugins run afterwards, on the parsed
text where the backslashes are gone: GFM autolink literals (`www.x.y`,
`https://…`, `a@b.c`), emoji shortcodes (`:smile:`), Material icons
(`:material/home:`) and the `:streamlit:` logo. So `escape_markdown` also puts
an invisible WORD JOINER (U+2060) where one of those patterns could start: after
a `:` that a word character, `+`, `-` or `/` follows (`:smile:`, `:red[`,
`https://`), after an `@` that a word character follows, and between `www` and
its dot. None of those patterns accepts it there, and the text reads the same.
Only there: a colon before a space ("Analysis: …") or at the end gets none, so
the text a person copies from a title is the title. (Checked against the
patterns in Streamlit 1.67's static JavaScript.)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WORD_JOINER = "\u2060"
# Every ASCII character that markdown, GFM or Streamlit's directives give a meaning; `&` starts
# a character reference (`&#58;` would become a `:` after the escaping below).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_LINE_BREAK = re.compile(r"\r\n?|\n")
# After escaping (`+` and `-` come as `\+` and `\-`): a `\:` that could open a shortcode, icon, directive
# or `https://`, an `@` that could be an e-mail autolink's, and `www\.` get the word joiner; nothing else.
_DECORATION = re.compile(r"(\\:(?=[\w/]|\\[+\-])|@(?=\w|\\-))|(?i:(www)(?=\\\.))")


def http_url(value: object) -> str | None:
    """The URL if it is a plain http(s) URL with a host, else None (no javascript:, data:, ...)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if any(char.isspace() or ord(char) < 32 for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def escape_markdown(text: str) -> str:
    """Text that Streamlit's markdown shows literally: no links, emphasis, HTML, icons or emoji."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAK.sub(" ", text))
    return _DECORATION.sub(lambda match: match.group() + WORD_JOINER, escaped)


def markdown_link(text: str, url: object) -> str:
    """A markdown link when the URL is http(s), else the escaped text alone."""
    safe_url = http_url(url)
    label = escape_markdown(text)
    if safe_url is None:
        return label
    # Parentheses and spaces in the target would end the link early.
    target = safe_url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{label}]({target})"


def plain_label(text: str) -> str:
    """A widget label without any markdown character: screen readers read it as it is, nothing renders."""
    return " ".join("".join(char if char.isalnum() or char in ",'’" else " " for char in text).split())
