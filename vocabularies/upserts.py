"""Batched, atomic upserts that rewrite a row only when its content hash changed.

PostgreSQL: COPY the batch into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE hash differs RETURNING (xmax = 0)``.
Other databases (SQLite for ``make run``): compare hashes, ``bulk_create`` the new rows
and ``bulk_update`` the changed ones. Both count created / updated / unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections import Counter
from dataclasses import dataclass, field

import orjson
from django.db import IntegrityError, connection, models, transaction


@dataclass(frozen=True)
class Target:
    """Where a vocabulary is written: model, natural key, imported columns, optional FK by key."""

    model: type[models.Model]
    key: str
    columns: tuple[str, ...]
    # (fk attname, local key column, related model, related key column), resolved at write time
    fk: tuple[str, str, type[models.Model], str] | None = None
    json_columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return (*self.columns, "content_hash")

    @functools.cached_property
    def max_lengths(self) -> dict[str, int]:
        """Column -> max_length of the bounded text columns (imports cut longer values)."""
        fields = {f.attname: f for f in self.model._meta.concrete_fields}
        return {c: fields[c].max_length for c in self.columns if getattr(fields[c], "max_length", None)}


def _cell(value):
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, (list, dict)):
        text = orjson.dumps(value).decode()
        # PostgreSQL text and jsonb cannot hold NUL characters.
        return text.replace("\\u0000", "") if "\\u0000" in text else text
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _nullable(target: Target) -> set[str]:
    return {f.column for f in target.model._meta.concrete_fields if f.null}


def _pg_stored_hashes(target: Target, keys: list[str]) -> dict[str, str]:
    """Key -> stored content hash of the stored rows among ``keys`` (with an FK: whose link is up to date)."""
    table = connection.ops.quote_name(target.model._meta.db_table)
    key = target.key
    sql = f"SELECT t.{key}, t.content_hash FROM {table} t"
    if target.fk:
        attname, local, related, related_key = target.fk
        sql += (
            f" LEFT JOIN {connection.ops.quote_name(related._meta.db_table)} r"
            f" ON r.{related_key} = t.{local} AND t.{local} <> ''"
            f" WHERE t.{key} = ANY(%s) AND t.{attname} IS NOT DISTINCT FROM r.id"
        )
    else:
        sql += f" WHERE t.{key} = ANY(%s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys])
        return dict(cursor.fetchall())


def _pg_upsert(target: Target, rows: list[dict]) -> Counter:
    # Most rows of a re-import are unchanged: find them with one indexed SELECT and send only the rest.
    key = target.key
    stored = _pg_stored_hashes(target, [row[key] for row in rows])
    changed = [row for row in rows if stored.get(row[key]) != row["content_hash"]]
    all_new = not target.fk and not stored
    counts = _pg_write(target, changed, all_new=all_new) if changed else Counter(created=0, updated=0)
    counts["unchanged"] += len(rows) - len(changed)
    return counts


def _pg_write(target: Target, rows: list[dict], *, all_new: bool = False) -> Counter:
    """COPY ``rows`` to a staging table and upsert them from there; rows none of which is
    stored yet (``all_new``, a first import) are copied straight into the table instead."""
    table = connection.ops.quote_name(target.model._meta.db_table)
    stage = connection.ops.quote_name(f"stage_{target.model._meta.db_table}")
    cols = target.all_columns
    col_list = ", ".join(cols)
    not_null = [c for c in cols if c not in _nullable(target)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([_cell(row[c]) for c in cols] for row in rows)
    buf.seek(0)
    insert_cols, select, join, also_changed = list(cols), [f"s.{c}" for c in cols], "", ""
    if target.fk:
        attname, local, related, related_key = target.fk
        insert_cols.append(attname)
        select.append("r.id")
        join = f"LEFT JOIN {connection.ops.quote_name(related._meta.db_table)} r ON r.{related_key} = s.{local} AND s.{local} <> ''"
        also_changed = f" OR t.{attname} IS DISTINCT FROM EXCLUDED.{attname}"
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in insert_cols if c != target.key)
    copy_options = f"WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(not_null)}))"
    if all_new:
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a conflict undoes only this
                cursor.copy_expert(f"COPY {table} ({col_list}) FROM STDIN {copy_options}", buf)
            return Counter(created=len(rows), updated=0, unchanged=0)
        except (IntegrityError, connection.Database.IntegrityError):  # copy_expert is not wrapped by Django
            buf.seek(0)  # stored meanwhile by another import: upsert as usual
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {col_list} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {stage}")
        cursor.copy_expert(f"COPY {stage} ({col_list}) FROM STDIN {copy_options}", buf)
        cursor.execute(
            f"WITH changed AS (INSERT INTO {table} AS t ({', '.join(insert_cols)}) "
            f"SELECT {', '.join(select)} FROM {stage} s {join} "
            f"ON CONFLICT ({target.key}) DO UPDATE SET {updates} "
            f"WHERE t.content_hash IS DISTINCT FROM EXCLUDED.content_hash{also_changed} "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FROM changed"
        )
        created, changed = cursor.fetchone()
    return Counter(created=created, updated=changed - created, unchanged=len(rows) - changed)


def _related_ids(target: Target, rows: list[dict]) -> dict[str, int]:
    attname, local, related, related_key = target.fk
    keys = {row[local] for row in rows if row[local]}
    return dict(related.objects.filter(**{f"{related_key}__in": keys}).values_list(related_key, "id")) if keys else {}


def _compare(target: Target, rows: list[dict]):
    """Split ``rows`` into new ones and changed ones (with the existing pk)."""
    model, key = target.model, target.key
    fields = ["pk", key, "content_hash"] + ([target.fk[0]] if target.fk else [])
    existing = {
        values[1]: values for values in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]}).values_list(*fields)
    }
    related = _related_ids(target, rows) if target.fk else {}
    new, changed, unchanged = [], [], 0
    for row in rows:
        values = dict(row)
        if target.fk:
            values[target.fk[0]] = related.get(row[target.fk[1]])
        current = existing.get(row[key])
        if current is None:
            new.append(values)
        elif current[2] != row["content_hash"] or (target.fk and current[3] != values[target.fk[0]]):
            changed.append((current[0], values))
        else:
            unchanged += 1
    return new, changed, unchanged


def _generic_upsert(target: Target, rows: list[dict]) -> Counter:
    new, changed, unchanged = _compare(target, rows)
    model = target.model
    model.objects.bulk_create([model(**values) for values in new])
    if changed:
        update_fields = [c for c in target.all_columns if c != target.key] + ([target.fk[0]] if target.fk else [])
        model.objects.bulk_update([model(pk=pk, **values) for pk, values in changed], update_fields)
    return Counter(created=len(new), updated=len(changed), unchanged=unchanged)


def batch_upsert(*, target: Target, rows: list[dict]) -> Counter:
    """Write one batch atomically; return created / updated / unchanged counts."""
    if not rows:
        return Counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _pg_upsert(target, rows)
        return _generic_upsert(target, rows)


def batch_upsert_serialized(*, target: Target, rows: list[tuple[str, str, bytes]]) -> Counter:
    """``batch_upsert`` (PostgreSQL) of ``(key, content hash, orjson of the row)``: only changed rows are decoded.

    Dates arrive as ISO strings, which PostgreSQL reads as they are.
    """
    if not rows:
        return Counter()
    with transaction.atomic():
        stored = _pg_stored_hashes(target, [key for key, _, _ in rows])
        changed = []
        for key, digest, payload in rows:
            if stored.get(key) != digest:
                row = orjson.loads(payload)
                row["content_hash"] = digest
                changed.append(row)
        all_new = not target.fk and not stored
        counts = _pg_write(target, changed, all_new=all_new) if changed else Counter(created=0, updated=0)
    counts["unchanged"] += len(rows) - len(changed)
    return counts


def batch_classify(*, target: Target, rows: list[dict]) -> Counter:
    """Count what ``batch_upsert`` would do, writing nothing (dry run)."""
    if not rows:
        return Counter()
    new, changed, unchanged = _compare(target, rows)
    return Counter(created=len(new), updated=len(changed), unchanged=unchanged)


def batch_delete(*, target: Target, keys: list[str], dry_run: bool = False) -> int:
    """Delete the rows with these keys (deactivated records); return how many existed."""
    if not keys:
        return 0
    queryset = target.model.objects.filter(**{f"{target.key}__in": keys})
    if dry_run:
        return queryset.count()
    with transaction.atomic():
        return queryset.delete()[0]
