"""The dashboard's pages. Only this package (and app.py) imports streamlit."""
