"""Errors of the vocabulary imports: each carries a message an operator can act on."""


class ImportFailed(Exception):
    """The whole source is unusable (bad source, wrong file type, truncated or invalid dump)."""


class SourceRejected(ImportFailed):
    """A source argument that is not allowed (scheme, path outside the import folder)."""


class RecordInvalid(ValueError):
    """One record cannot be imported; the run goes on and ends partial_success."""

    def __init__(self, record_id, reason: str):
        super().__init__(f"{record_id}: {reason}")
        self.record_id = record_id or "?"
        self.reason = reason
