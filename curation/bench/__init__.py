"""The benchmarks (`curation bench`, `make bench*`): never imported by the library or the pages."""
