"""What an editor asks of a Collection: filters, facets, chart data and export."""
