"""Small wording helpers shared by the command line and the dashboard."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """'1 document', '2 documents', '1,234 documents'."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def published_label(published: object) -> str:
    """'published' or 'unpublished': the one word for an article's state, in History, the CLI and the charts."""
    return "published" if published else "unpublished"
