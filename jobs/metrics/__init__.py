"""Prometheus metrics at ``/metrics``, computed from the database at scrape time (no models)."""
