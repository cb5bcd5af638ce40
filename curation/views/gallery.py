"""Gallery: image previews as cards of one height, with the same publish toggle as the table.

The editor's browser fetches the previews (only http(s) URLs, never through the
server); one that fails shows a placeholder of the image box's size
(curation/views/image_fallback.py). A pager sits above and below the cards.

Cards hold still, as the Articles table's rows do (layout.held_rows): the page's
articles are taken when the view is opened and again only when the filter, the
sort or the page changes, or the editor presses Refresh. A card ticked in the
unpublished gallery stays where it is, ticked and marked *changed*, so the next
click lands on the card the editor sees under the pointer. The page is in the
URL (`gpage`); a turn from the bottom pager scrolls back up to the first card.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from curation.safe_markdown import escape_markdown, http_url, markdown_link
from curation.views.image_fallback import enable_image_fallback
from curation.views.layout import HELD_HELP, held_page, held_rows, held_status_text, render_header
from curation.views.scroll_to_cards import scroll_to_cards
from curation.views.session import Dashboard, dashboard, write_published
from curation.views.url_state import seed_from_url, write_parameter
from curation.wording import day_text

CARDS_PER_PAGE = 24
CARDS_PER_ROW = 4
# Every card is this tall, with or without an image (a longer card scrolls inside); image_fallback.py's CSS
# gives a real image, a dead one and "no image" the same box of IMAGE_HEIGHT.
CARD_HEIGHT = 420  # with the compact page top (image_fallback.py), a whole row shows at 1280x720
IMAGE_HEIGHT = 150
TOP_PAGER = "gallery_page"
BOTTOM_PAGER = "gallery_page_bottom"
CARDS_KEY = "_gallery_cards"  # the RowSnapshot of the page's cards
REFRESHES_KEY = "_gallery_refreshes"
TURNS_KEY = "_gallery_bottom_turns"  # page turns from the bottom pager, each scrolls up to the cards once
SCROLL_KEY = "_gallery_scroll"  # the turn whose run should scroll up
PAGE_PARAMETER = "gpage"  # the Gallery's page in the URL (url_state.GALLERY_PARAMETERS)


def toggle_published(board: Dashboard, doc_id: str, sha: str, key: str) -> None:
    """Toggle callback: write the new value with the sha the card showed."""
    value = bool(st.session_state[key])
    outcomes = write_published(board, [doc_id], value, {doc_id: sha})
    if not outcomes or outcomes[0].failed:
        st.session_state[key] = not value  # the card keeps showing what is on disk


def refresh() -> None:
    """Refresh callback: take the cards again (the filter may match other articles by now)."""
    st.session_state[REFRESHES_KEY] = st.session_state.get(REFRESHES_KEY, 0) + 1


def follow_bottom_pager() -> None:
    """Bottom pager callback: turn the page the top pager (and held_page) holds, and scroll up to the cards."""
    st.session_state[TOP_PAGER] = st.session_state[BOTTOM_PAGER]
    turn = st.session_state.get(TURNS_KEY, 0) + 1
    st.session_state[TURNS_KEY] = st.session_state[SCROLL_KEY] = turn


def render_card(board: Dashboard, doc_id: str, position: int, changed: bool) -> None:
    with st.container(border=True, height=CARD_HEIGHT, key=f"gallery_card_{position}"):
        if doc_id not in board.collection.frame.index:
            st.markdown(f"*This article's file went away:* `{escape_markdown(doc_id)}`")
            return
        row = board.collection.frame.loc[doc_id]
        image = http_url(row["image"])
        with st.container(
            height=IMAGE_HEIGHT, border=False, key=f"gallery_image_{position}",
            horizontal_alignment="center", vertical_alignment="center",
        ):  # fmt: skip
            if image:
                st.image(image, width="stretch")  # an <img> the editor's browser loads; the server never fetches it
            else:
                st.markdown("🖼️ *no image*", width="content")
        mark = " :violet-badge[likely duplicate]" if board.collection.likely_duplicates.at[doc_id] else ""
        mark += " :orange-badge[changed]" if changed else ""
        st.markdown(f"**{markdown_link(row['title'], row['webUrl'])}**{mark}")
        date = day_text(row["publishedDateTime"]) if pd.notna(row["publishedDateTime"]) else "no date"
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
            args=(board, doc_id, row["sha256"], key), disabled=not board.can_edit,
        )  # fmt: skip


def render(board: Dashboard) -> None:
    """The Gallery page for this run's dashboard."""
    render_header(board, "Gallery")
    if not board.shown_count:
        st.info("No articles match the filters. Loosen them in the sidebar.")
        return
    base_view = (str(board.location), board.filters, st.session_state.get(REFRESHES_KEY, 0))
    seed_from_url(TOP_PAGER, PAGE_PARAMETER, lambda values: max(1, int(values[-1])))
    page = held_page(board, CARDS_PER_PAGE, base_view, TOP_PAGER, CARDS_KEY)
    write_parameter(PAGE_PARAMETER, [str(page)] if page > 1 else [])
    cards = held_rows(board, CARDS_PER_PAGE, page, (*base_view, page), CARDS_KEY)
    pages = max(page, math.ceil(board.shown_count / CARDS_PER_PAGE))
    status_column, refresh_column = st.columns([5, 1], vertical_alignment="center")
    status_column.markdown(held_status_text(cards, board.collection.frame), help=HELD_HELP)
    refresh_column.button(
        "Refresh", key="gallery_refresh", on_click=refresh, icon=":material/refresh:", width="stretch",
        help="Take the cards again: articles that no longer match the filter leave, new ones come in",
    )  # fmt: skip
    enable_image_fallback()
    changed = cards.changed(board.collection.frame)
    with st.container(key="gallery_cards"):
        for start in range(0, len(cards.ids), CARDS_PER_ROW):
            columns = st.columns(CARDS_PER_ROW)
            for offset, (column, doc_id) in enumerate(
                zip(columns, cards.ids[start : start + CARDS_PER_ROW], strict=False)
            ):
                with column:
                    render_card(board, doc_id, start + offset, changed[start + offset])
    if pages > 1:
        if st.session_state.get(BOTTOM_PAGER) != page:
            st.session_state[BOTTOM_PAGER] = page  # follows the top pager (set before it is drawn in this run)
        st.pagination(pages, key=BOTTOM_PAGER, on_change=follow_bottom_pager)
    st.caption(
        f"Page {page} of {pages} · {len(cards.ids):,} cards · {board.shown_count:,} articles match the filter now"
    )
    turn = st.session_state.pop(SCROLL_KEY, None)
    if turn is not None:  # last on the page: mounting it moves nothing above
        scroll_to_cards(turn)


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
