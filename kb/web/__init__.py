"""The web layer: the Flask app factory, its state, headers, pages, JSON API, feeds and the servers."""
