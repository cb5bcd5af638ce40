"""Documents into a Collection: parsing (fast front matter, pipe workers), the parse caches, loading
a folder or a prefix, and `curation index`."""
