"""Benchmarks: scripts that print figures. They are never part of the test suite."""
