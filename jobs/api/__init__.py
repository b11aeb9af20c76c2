"""The HTTP API (Django REST Framework, OpenAPI by drf-spectacular) under /api/v1/: an adapter like the admin.

Views parse and answer, serializers validate (job arguments through
``jobs.arguments.arguments_validate``), and every write goes through the job system's
services. Its own models are the API tokens and the idempotency keys of run requests.
"""
