"""Logging filters of the site (wired in ``LOGGING`` in ``jobsite.settings``).

``ForbiddenWithoutTraceback``: Django logs every 403 as a warning *with* the
``PermissionDenied`` traceback, so the web console printed a traceback each time a viewer
met a page they may not use. The one-line warning stays; the traceback goes.
"""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
