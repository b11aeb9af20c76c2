"""Batched, atomic upserts that rewrite a row only when its content hash changed.

PostgreSQL: one indexed SELECT drops the unchanged rows; the rest are COPied as
``content hash, row JSON`` into a temporary staging table, then one ``INSERT … SELECT …
jsonb_populate_record … ON CONFLICT (key) DO UPDATE … WHERE hash differs RETURNING (xmax = 0)``.
Other databases (SQLite for ``make run``): compare hashes, ``bulk_create`` the new rows
and ``bulk_update`` the changed ones. Both count created / updated / unchanged.
"""

from __future__ import annotations

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


def _text_columns(target: Target) -> set[str]:
    """The NOT NULL string columns: a None read from a row is stored as "" there."""
    return {
        f.column for f in target.model._meta.concrete_fields
        if not f.null and isinstance(f, (models.CharField, models.TextField))
    }


def _nul_free(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_nul_free(v) for v in value]
    if isinstance(value, dict):
        return {_nul_free(k): _nul_free(v) for k, v in value.items()}
    return value


def copy_text(rows: list[tuple[str, str, bytes]]) -> bytes:
    """COPY text lines ``content hash TAB row JSON`` of ``(key, hash, orjson of the row)``.

    orjson writes no raw tab or newline; backslashes are doubled for COPY's text format.
    NUL characters, which PostgreSQL cannot store, are dropped from the values.
    """
    lines = []
    for _, digest, payload in rows:
        if b"\\u0000" in payload:
            payload = orjson.dumps(_nul_free(orjson.loads(payload)))
        lines.append(b"%s\t%s\n" % (digest.encode(), payload.replace(b"\\", b"\\\\")))
    return b"".join(lines)


def _stored_sql(target: Target, where: str, columns: str) -> str:
    """SELECT ``columns`` of the stored rows (with an FK: whose link is up to date) ``where``."""
    quote = connection.ops.quote_name
    sql = f"SELECT {columns} FROM {quote(target.model._meta.db_table)} t"
    if target.fk:
        attname, local, related, related_key = target.fk
        sql += (
            f" LEFT JOIN {quote(related._meta.db_table)} r ON r.{related_key} = t.{local} AND t.{local} <> ''"
            f" WHERE {where} AND t.{attname} IS NOT DISTINCT FROM r.id"
        )
    else:
        sql += f" WHERE {where}"
    return sql


def _pg_stored_hashes(target: Target, keys: list[str]) -> dict[str, str]:
    """Key -> stored content hash of the stored rows among ``keys`` (with an FK: whose link is up to date)."""
    with connection.cursor() as cursor:
        cursor.execute(_stored_sql(target, f"t.{target.key} = ANY(%s)", f"t.{target.key}, t.content_hash"), [keys])
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class Stored:
    """The content hashes of every stored row of a target (read once per import), and whether there was none."""

    hashes: frozenset[str]
    empty: bool


def stored_read(*, target: Target, max_rows: int) -> Stored | None:
    """``Stored`` of ``target`` (PostgreSQL), or None when it holds more than ``max_rows`` rows.

    A row's hash covers its key, so a record whose hash is among them is stored as it is.
    """
    table = connection.ops.quote_name(target.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [target.model._meta.db_table])
        estimate = cursor.fetchone()
        if estimate and estimate[0] > max_rows:
            return None
        cursor.execute(f"SELECT NOT EXISTS (SELECT FROM {table})")
        empty = cursor.fetchone()[0]
        cursor.execute(f"{_stored_sql(target, 'TRUE', 't.content_hash')} LIMIT %s", [max_rows + 1])
        hashes = frozenset(digest for (digest,) in cursor)
    return None if len(hashes) > max_rows else Stored(hashes=hashes, empty=empty)


def _pg_upsert(target: Target, rows: list[tuple[str, str, bytes]]) -> Counter:
    # Most rows of a re-import are unchanged: find them with one indexed SELECT and send only the rest.
    stored = _pg_stored_hashes(target, [key for key, _, _ in rows])
    changed = [row for row in rows if stored.get(row[0]) != row[1]]
    all_new = not target.fk and not stored
    counts = _pg_write(target, copy_text(changed), all_new=all_new) if changed else Counter(created=0, updated=0)
    counts["unchanged"] += len(rows) - len(changed)
    return counts


def _pg_write(target: Target, text: bytes, *, all_new: bool = False, updated: set[str] | None = None) -> Counter:
    """COPY ``text`` (``copy_text`` lines) to a staging table and upsert the rows from there.

    The staging table holds each row as jsonb (parsed once; json would be parsed again by
    ``json_populate_record``): ``jsonb_populate_record`` turns it into the table's columns
    on the server, so the client builds no per-column text. Rows none of
    which is stored yet (``all_new``, a first import) are inserted without the conflict
    check, in a savepoint: a row stored meanwhile by another import falls back to the upsert.
    The keys of the rows updated are added to ``updated`` when given.
    """
    quote = connection.ops.quote_name
    table = quote(target.model._meta.db_table)
    stage = quote(f"stage_{target.model._meta.db_table}")
    text_columns = _text_columns(target)
    cols = list(target.columns)
    select = [f"coalesce(r.{c}, '')" if c in text_columns else f"r.{c}" for c in cols] + ["s.content_hash"]
    insert_cols, join, also_changed = [*cols, "content_hash"], "", ""
    if target.fk:
        attname, local, related, related_key = target.fk
        insert_cols.append(attname)
        select.append("f.id")
        join = f"LEFT JOIN {quote(related._meta.db_table)} f ON f.{related_key} = r.{local} AND r.{local} <> ''"
        also_changed = f" OR t.{attname} IS DISTINCT FROM EXCLUDED.{attname}"
    source = (
        f"SELECT {', '.join(select)} FROM {stage} s CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, s.doc) r {join}"
    )
    insert = f"INSERT INTO {table} AS t ({', '.join(insert_cols)}) {source}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (content_hash text, doc jsonb)")
        cursor.execute(f"TRUNCATE {stage}")
        cursor.copy_expert(f"COPY {stage} (content_hash, doc) FROM STDIN", io.BytesIO(text))
        if all_new:
            try:
                with transaction.atomic():  # a savepoint: a conflict undoes only this
                    cursor.execute(insert)
                return Counter(created=cursor.rowcount, updated=0, unchanged=0)
            except IntegrityError:
                pass  # stored meanwhile by another import: upsert as usual
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in insert_cols if c != target.key)
        cursor.execute(
            f"WITH changed AS ({insert} "
            f"ON CONFLICT ({target.key}) DO UPDATE SET {updates} "
            f"WHERE t.content_hash IS DISTINCT FROM EXCLUDED.content_hash{also_changed} "
            f"RETURNING t.{target.key} AS key, (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*), (SELECT count(*) FROM {stage}), "
            f"{'array_agg(key) FILTER (WHERE NOT inserted)' if updated is not None else 'NULL'} FROM changed"
        )
        created, changed, staged, keys = cursor.fetchone()
    if keys:
        updated.update(keys)
    return Counter(created=created, updated=changed - created, unchanged=staged - changed)


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


def serialized_rows(target: Target, rows: list[dict]) -> list[tuple[str, str, bytes]]:
    """``(key, content hash, orjson of the row)`` of rows that carry their ``content_hash``."""
    return [
        (row[target.key], row["content_hash"], orjson.dumps({k: v for k, v in row.items() if k != "content_hash"}))
        for row in rows
    ]


def batch_upsert(*, target: Target, rows: list[dict]) -> Counter:
    """Write one batch atomically; return created / updated / unchanged counts."""
    if not rows:
        return Counter()
    if connection.vendor == "postgresql":
        return batch_upsert_serialized(target=target, rows=serialized_rows(target, rows))
    with transaction.atomic():
        return _generic_upsert(target, rows)


def batch_upsert_serialized(
    *, target: Target, rows: list[tuple[str, str, bytes]], stored: Stored | None = None, updated: set[str] | None = None
) -> Counter:
    """``batch_upsert`` (PostgreSQL) of ``(key, content hash, orjson of the row)``: no row is decoded here.

    Dates arrive as ISO strings, which PostgreSQL reads as they are. With ``stored`` (read
    at the start of the import), the unchanged rows were left out already: no lookup here,
    and when the table was empty then, the rows are inserted straight away; the keys of
    the rows updated are added to ``updated``.
    """
    if not rows:
        return Counter()
    with transaction.atomic():
        if stored is None:
            return _pg_upsert(target, rows)
        return _pg_write(target, copy_text(rows), all_new=stored.empty, updated=updated)


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
