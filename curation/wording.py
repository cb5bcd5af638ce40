"""Small wording helpers shared by the command line and the dashboard."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """'1 document', '2 documents', '1,234 documents'."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
