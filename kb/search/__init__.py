"""Search: word rules, analyzers, the query language, Whoosh indexes on disk, the search service, offline index."""
