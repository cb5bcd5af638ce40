"""The curation dashboard (placeholder until the dashboard issue lands)."""

import streamlit as st

from curation.collection import load_collection
from curation.views.settings import docs_folder

st.set_page_config(page_title="Curation", page_icon="📰", layout="wide")
collection = load_collection(docs_folder())
st.title("Curation")
st.write(f"{len(collection.frame)} articles · {len(collection.problems)} problems")
