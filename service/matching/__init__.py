"""Complementary partner matching: criteria, hard filters, retrieval and ranking, consortia."""
