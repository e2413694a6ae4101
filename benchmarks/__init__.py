"""Benchmarks (``make bench``, ``make bench-edge``): scripts that print figures, never timed tests."""
