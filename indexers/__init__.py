"""Indexers: read profile files, validate, embed in batches and upsert into the profile index."""
