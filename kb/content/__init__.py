"""Content: kb.yml settings, front-matter (the YAML home), categories, the loader, markup and content catalogs."""
