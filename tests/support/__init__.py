"""Test helpers shared by the test suites (servers, fixtures); never imported by product code."""
