"""Document text is data, never markup: what may become a link or an image."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


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
    """Text that Streamlit's markdown shows literally (no links, emphasis or HTML)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def markdown_link(text: str, url: object) -> str:
    """A markdown link when the URL is http(s), else the escaped text alone."""
    safe_url = http_url(url)
    label = escape_markdown(text)
    if safe_url is None:
        return label
    # Parentheses and spaces in the target would end the link early.
    target = safe_url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{label}]({target})"
