"""Pure parsers of the vocabulary dumps: streams in, plain dicts out (no ORM).

Each reader yields raw records, or ``RecordInvalid`` for an entry that cannot be
parsed but does not spoil the rest; it raises ``ImportFailed`` when the source as a
whole is unusable. ``progress(done_bytes, total_bytes)`` is called as it reads.
"""
