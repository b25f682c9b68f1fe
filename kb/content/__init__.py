"""Content: kb.yml settings, front-matter (the YAML home), categories, loader, markup, content catalogs."""
