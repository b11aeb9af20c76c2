"""The fault site's settings: the test settings, with the shipped flush intervals and two parsers per import.

The times the fault tests check (a run's end after a restart, a hanging run's lines)
are those of a deployed site, so its flush intervals are the defaults, not the test
suite's shorter ones; an import is parsed by two forked processes on any machine.
"""

from jobsite import settings as site
from tests.settings import *  # noqa: F403

JOBS_RUN_LOG_FLUSH_SECONDS = site.JOBS_RUN_LOG_FLUSH_SECONDS
JOBS_PROGRESS_FLUSH_SECONDS = site.JOBS_PROGRESS_FLUSH_SECONDS
VOCABULARIES_PARSERS = 2
