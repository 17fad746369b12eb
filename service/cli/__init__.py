"""The `maillon` command line (the service's commands; indexers adds ingest, reindex, demo)."""
