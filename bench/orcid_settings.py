"""Settings for the ORCID fan-out benchmark's processes: the bench settings (bench-only secret key) plus vocabulary overrides.

``BENCH_VOCABULARIES_PARSERS=N`` sets ``VOCABULARIES_PARSERS`` (forked parsers per import)
in the process that reads it (this bench's workers and its own process).
"""

import os

from bench.settings import *  # noqa: F403

if os.environ.get("BENCH_VOCABULARIES_PARSERS"):
    VOCABULARIES_PARSERS = int(os.environ["BENCH_VOCABULARIES_PARSERS"])
