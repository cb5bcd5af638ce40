"""An article's details, read fresh from its file: link, excerpt, images, related articles, every field."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.documents import document_details, image_urls
from curation.errors import CurationError
from curation.safe_markdown import escape_markdown, http_url, markdown_link
from curation.store import Location, open_store, read_document_bytes

IMAGES_SHOWN = 6


def render_details(location: Location, doc_id: str) -> None:
    """Everything the file says, below the article's edit form (text is shown as text, never markup)."""
    try:
        details = document_details(read_document_bytes(location, doc_id), doc_id)  # fresh from disk
    except CurationError as error:
        st.error(str(error))
        return
    if http_url(details.get("webUrl")):
        st.markdown(markdown_link("Open the article", details.get("webUrl")))
    urls, left_out = image_urls(details)
    if urls:
        st.image(urls[:IMAGES_SHOWN], width=160)
    if left_out:
        st.caption(f"{left_out} image(s) not shown: only http(s) URLs are.")
    related = details.get("related") or []
    if isinstance(related, list) and related:
        st.markdown("**Related articles**")
        for item in related:
            if isinstance(item, dict):
                provider = item.get("provider", {})
                name = provider.get("name", "") if isinstance(provider, dict) else str(provider or "")
                link = markdown_link(str(item.get("title", "untitled")), item.get("webUrl"))
                st.markdown(f"- {link} — {escape_markdown(name)}")
    fields = pd.DataFrame(
        [(key, field_text(value)) for key, value in details.items() if key not in ("related",)],
        columns=["field", "value"],
    )
    st.dataframe(fields, hide_index=True, key="details_fields")
    st.caption("File")
    st.code(open_store(location).address(doc_id), language=None)


def field_text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(field_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {field_text(item)}" for key, item in value.items())
    return str(value)
