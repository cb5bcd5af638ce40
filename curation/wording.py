"""Small wording helpers shared by the command line and the dashboard."""

from __future__ import annotations

import datetime as dt


def plural(count: int, word: str) -> str:
    """'1 document', '2 documents', '1,234 documents'."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def published_label(published: object) -> str:
    """'published' or 'unpublished': the one word for an article's state, in History, the CLI and the charts."""
    return "published" if published else "unpublished"


def day_text(when: dt.date | dt.datetime) -> str:
    """'0001-01-01': a day as YYYY-MM-DD for every year (strftime's %Y writes the year 1 as '1')."""
    return (when.date() if isinstance(when, dt.datetime) else when).isoformat()


def document_time_text(when: dt.datetime) -> str:
    """'0001-01-01T05:06:07Z': a UTC moment to the second, as documents write it, for every year."""
    return f"{day_text(when)}T{when:%H:%M:%S}Z"
