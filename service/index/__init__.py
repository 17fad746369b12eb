"""Profile index: one interface (base.py), an embedded backend and an Elasticsearch backend."""
