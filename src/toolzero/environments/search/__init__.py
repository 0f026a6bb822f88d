"""The search environment: a BM25 index over a local corpus (issue #15)."""
