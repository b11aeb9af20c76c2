"""Benchmarks: scripts that print figures (see bench/common.py)."""
