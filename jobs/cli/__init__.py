"""Helpers of ``manage.py jobs``: argument parsing, tables and run watching."""
