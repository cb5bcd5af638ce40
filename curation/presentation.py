"""Frames and documents shaped for the dashboard's pages (no Streamlit here).

Only http(s) URLs ever become links or images, and `secured` is never shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from curation.documents import parse_front_matter
from curation.filters import Filters
from curation.safety import http_url
from curation.stores import read_document_bytes as read_document  # a folder or an s3:// prefix

HIDDEN_FIELDS = ("secured",)
TABLE_COLUMNS = (
    "select", "published", "image", "title", "provider", "category", "publishedDateTime",
    "quality", "heat", "topics", "link",
)  # fmt: skip


def article_table(frame: pd.DataFrame, selected: Iterable[str] = ()) -> pd.DataFrame:
    """The rows as the Articles table shows them, indexed by id."""
    chosen = set(selected)
    table = pd.DataFrame(index=frame.index)
    table["select"] = pd.Series([doc_id in chosen for doc_id in frame.index], index=frame.index, dtype=bool)
    table["published"] = frame["published"].astype(bool)
    # Missing URLs as <NA>, so the grid shows an empty cell, not "None".
    table["image"] = frame["image"].map(http_url).astype("string")
    for column in ("title", "provider", "category", "publishedDateTime", "quality", "heat", "topics"):
        table[column] = frame[column]
    table["link"] = frame["webUrl"].map(http_url).astype("string")
    return table[list(TABLE_COLUMNS)]


def export_file_name(filters: Filters, extension: str, today: dt.date) -> str:
    """e.g. articles-2026-11-25-unpublished-category-news.csv"""
    return f"articles-{today:%Y-%m-%d}-{filters.slug()}.{extension}"


def article_details(folder: Path, doc_id: str) -> dict[str, Any]:
    """Every front-matter field of one document except the hidden ones, read fresh from disk."""
    data = parse_front_matter(read_document(folder, doc_id), doc_id).data
    return {key: value for key, value in data.items() if key not in HIDDEN_FIELDS}


def image_urls(details: dict[str, Any]) -> tuple[list[str], int]:
    """The http(s) image URLs of a document, and how many other images were left out."""
    images = details.get("images") or []
    if not isinstance(images, list):
        return [], 0
    urls = [http_url(image.get("url") if isinstance(image, dict) else image) for image in images]
    shown = [url for url in urls if url]
    return shown, len(urls) - len(shown)
