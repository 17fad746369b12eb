"""Illustrative sample data (fake clusters and members) and the generator that writes it."""
