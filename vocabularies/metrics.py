"""``jobsite_vocabulary_records{vocabulary}`` for /metrics (named in ``JOBS_METRICS_COLLECTORS``).

One query for all four tables. Counting every row of a 20-million-row ORCID table would
take seconds a scrape, so on PostgreSQL a table whose planner estimate (``reltuples``,
kept by autovacuum) is above ``EXACT_BELOW`` reports that estimate; smaller ones, and
every table on SQLite, are counted exactly.
"""

from __future__ import annotations

from django.db import connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vocabularies.models import Affiliation, Award, Funder, Name

MODELS = {"affiliations": Affiliation, "funders": Funder, "names": Name, "awards": Award}
EXACT_BELOW = 1_000_000


def _sql(tables: dict[str, str]) -> str:
    if connection.vendor != "postgresql":
        return " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM {table}" for name, table in tables.items())
    return " UNION ALL ".join(
        f"SELECT '{name}', CASE WHEN est.n >= {EXACT_BELOW} THEN est.n ELSE (SELECT COUNT(*) FROM {table}) END "
        f"FROM (SELECT GREATEST(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = '{table}'::regclass) est"
        for name, table in tables.items()
    )


def vocabulary_counts() -> dict[str, int]:
    """Records per vocabulary (exact below ``EXACT_BELOW`` rows), in one query."""
    tables = {name: connection.ops.quote_name(model._meta.db_table) for name, model in MODELS.items()}
    with connection.cursor() as cursor:
        cursor.execute(_sql(tables))
        return {name: int(count) for name, count in cursor.fetchall()}


class VocabularyCollector(Collector):
    def collect(self):
        family = GaugeMetricFamily("jobsite_vocabulary_records", "Records stored per vocabulary.", labels=["vocabulary"])
        for name, count in sorted(vocabulary_counts().items()):
            family.add_metric([name], count)
        yield family
