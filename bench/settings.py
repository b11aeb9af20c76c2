"""Settings of the benchmarks: the site's own, with a bench-only secret key and plain HTTP.

The site refuses to start with DEBUG off and no secret key; benchmarks measure the
production code path (DEBUG off, no query log), so they bring a key of their own.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "k3y-of-the-benchmarks-never-used-by-a-site" * 2)
# The admin pages are requested by Django's test client over plain HTTP.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from jobsite.settings import *  # noqa: E402,F403
