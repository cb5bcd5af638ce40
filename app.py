"""The curation dashboard: navigation and the shared sidebar; each page lives in curation/views/."""

import streamlit as st

from curation.errors import DocsFolderError, StoreError
from curation.loading.freed_memory import limit_heap_arenas
from curation.views.access import resolve_identity
from curation.views.saved_views import SavedViewsSidebar
from curation.views.scheduled import start_schedule_runner
from curation.views.session import Dashboard, current_collection, docs_location, set_dashboard
from curation.views.sidebar import render_filters
from curation.views.url_state import (
    ARTICLES_PARAMETERS,
    GALLERY_PARAMETERS,
    HISTORY_PARAMETERS,
    TRIAGE_PARAMETERS,
    drop_parameters,
)

limit_heap_arenas()  # sessions run in threads: without a cap each gets heap arenas that keep what it freed
st.set_page_config(page_title="Curation", page_icon="📰", layout="wide")

articles = st.Page("curation/views/articles.py", title="Articles", icon="📰", default=True)
gallery = st.Page("curation/views/gallery.py", title="Gallery", icon="🖼️")
history = st.Page("curation/views/history.py", title="History", icon="🕘")
triage = st.Page("curation/views/triage.py", title="Triage", icon="🗂️", url_path="triage")
pages = st.navigation(
    [
        articles,
        triage,
        st.Page("curation/views/charts.py", title="Charts", icon="📊"),
        gallery,
        st.Page("curation/views/problems.py", title="Problems", icon="⚠️"),
        history,
    ]
)
filters_area = st.sidebar.container()  # the filters come first; who you are is one line below them
identity = resolve_identity()  # with a login configured, stops here until the user logs in
loading = st.empty()  # drawn on every run, so a load's progress moves nothing on the page
try:
    collection = current_collection(docs_location(), loading)
except (DocsFolderError, StoreError) as error:
    st.error(f"{error}. Set CURATION_DOCS to a folder or an s3:// prefix of article documents and restart.", icon="📂")
    st.stop()
start_schedule_runner(collection.location)  # applies due schedules while the server runs (docs/scheduling.md)
saved_views = SavedViewsSidebar(docs_location(), filters_area, identity)  # listed first; `?view=NAME` opens one
selection = render_filters(collection, filters_area)
saved_views.draw(selection.filters)
board = Dashboard(collection, selection.filters, selection.positions(), identity.name, identity.can_edit,
                  identity.why_not)  # fmt: skip
set_dashboard(board)
if pages.url_path != articles.url_path:
    drop_parameters(ARTICLES_PARAMETERS)  # the table's page and layout mean nothing elsewhere
if pages.url_path != gallery.url_path:
    drop_parameters(GALLERY_PARAMETERS)
if pages.url_path != history.url_path:
    drop_parameters(HISTORY_PARAMETERS)
if pages.url_path != triage.url_path:
    drop_parameters(TRIAGE_PARAMETERS)  # the card is Triage's place in its queue
pages.run()
