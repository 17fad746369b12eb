"""python -m indexers: the same as the `maillon` command."""
from indexers.cli import run

run()
