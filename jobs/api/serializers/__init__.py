"""Serializers of the API: what each resource looks like and what input it takes (validation only)."""
