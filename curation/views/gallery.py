"""Gallery: image previews as cards, with the same publish toggle as the table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from curation.safety import escape_markdown, http_url, markdown_link
from curation.views.session import dashboard, write_published
from curation.views.shell import page_of_rows, render_header

CARDS_PER_PAGE = 24
CARDS_PER_ROW = 4


def toggle_published(doc_id: str, sha: str, key: str) -> None:
    """Toggle callback: write the new value with the sha the card showed."""
    value = bool(st.session_state[key])
    outcomes = write_published(dashboard(), [doc_id], value, {doc_id: sha})
    if not outcomes or outcomes[0].failed:
        st.session_state[key] = not value  # the card keeps showing what is on disk


def render_card(row: pd.Series, doc_id: str, can_edit: bool) -> None:
    with st.container(border=True):
        image = http_url(row["image"])
        if image:
            st.image(image, width="stretch")
        else:
            st.markdown("🖼️ *no image*")
        st.markdown(f"**{markdown_link(row['title'], row['webUrl'])}**")
        date = row["publishedDateTime"].strftime("%Y-%m-%d") if pd.notna(row["publishedDateTime"]) else "no date"
        quality = "–" if pd.isna(row["quality"]) else int(row["quality"])
        heat = "–" if pd.isna(row["heat"]) else int(row["heat"])
        st.caption(
            f"{escape_markdown(row['provider'] or 'unknown provider')} · {date} · quality {quality} · heat {heat}"
        )
        if row["topics"]:
            st.caption(escape_markdown(", ".join(row["topics"])))
        key = f"gallery_published_{doc_id}_{row['sha256'][:12]}"
        st.toggle(
            "Published", value=bool(row["published"]), key=key, on_change=toggle_published,
            args=(doc_id, row["sha256"], key), disabled=not can_edit,
        )  # fmt: skip


board = dashboard()
render_header(board, "Gallery")
if not board.shown_count:
    st.info("No articles match the filters. Loosen them in the sidebar.")
    st.stop()
cards, page, pages = page_of_rows(board, CARDS_PER_PAGE, "gallery_page")
for start in range(0, len(cards), CARDS_PER_ROW):
    row_cards = cards.iloc[start : start + CARDS_PER_ROW]
    for column, (doc_id, row) in zip(st.columns(CARDS_PER_ROW), row_cards.iterrows(), strict=False):
        with column:
            render_card(row, doc_id, board.can_edit)
st.caption(f"Page {page} of {pages} · {board.shown_count:,} shown articles")
