"""Search: word rules, analyzers, query language, Whoosh indexes on disk, search service, offline index."""
