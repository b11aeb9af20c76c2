"""Batched upserts: PostgreSQL path and the generic (SQLite) path give the same outcome."""

import pytest

from tests.vocabularies.conftest import ror_sample
from vocabularies.importing import row_hash
from vocabularies.models import Affiliation, Award, Funder
from vocabularies.readers.ror import affiliation_row
from vocabularies.targets import AFFILIATIONS, AWARDS
from vocabularies.upserts import _generic_upsert, batch_classify, batch_upsert


def _rows():
    rows = [affiliation_row(r) for r in ror_sample()]
    for row in rows:
        row["content_hash"] = row_hash(row)
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["postgresql", "generic"])
def test_create_then_unchanged_then_update(writer):
    write = (lambda rows: batch_upsert(target=AFFILIATIONS, rows=rows)) if writer == "postgresql" else (
        lambda rows: _generic_upsert(AFFILIATIONS, rows))
    rows = _rows()
    assert write(rows) == {"created": len(rows), "updated": 0, "unchanged": 0}
    stored = Affiliation.objects.get(ror_id="05qrfxd25")
    assert stored.name and stored.content_hash == next(r for r in rows if r["ror_id"] == "05qrfxd25")["content_hash"]
    assert write(_rows()) == {"created": 0, "updated": 0, "unchanged": len(rows)}
    changed = _rows()
    changed[0]["name"] = "Renamed"
    changed[0]["content_hash"] = row_hash({k: v for k, v in changed[0].items() if k != "content_hash"})
    assert batch_classify(target=AFFILIATIONS, rows=changed) == {"created": 0, "updated": 1, "unchanged": len(rows) - 1}
    assert write(changed) == {"created": 0, "updated": 1, "unchanged": len(rows) - 1}
    assert Affiliation.objects.get(ror_id=changed[0]["ror_id"]).name == "Renamed"
    assert Affiliation.objects.count() == len(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["postgresql", "generic"])
def test_award_links_funder_once_it_exists(writer):
    write = (lambda rows: batch_upsert(target=AWARDS, rows=rows)) if writer == "postgresql" else (
        lambda rows: _generic_upsert(AWARDS, rows))
    row = {"openaire_id": "fwf_________::8b1f", "number": "Y 1067", "title": "", "acronym": "", "funder_ror_id": "013tf3c58",
           "programme": "", "funding_stream": "", "start_date": None, "end_date": None, "url": ""}
    row["content_hash"] = row_hash(row)
    assert write([dict(row)])["created"] == 1
    assert Award.objects.get().funder is None
    Funder.objects.create(ror_id="013tf3c58", name="FWF", status="active", content_hash="x")
    assert write([dict(row)]) == {"created": 0, "updated": 1, "unchanged": 0}
    assert Award.objects.get().funder.ror_id == "013tf3c58"
    assert write([dict(row)]) == {"created": 0, "updated": 0, "unchanged": 1}


@pytest.mark.django_db
def test_overlong_values_are_cut_and_nul_characters_dropped():
    from tests.vocabularies import openaire_fixtures as fx
    from vocabularies.importing import vocabulary_import
    from vocabularies.readers.openaire import award_row

    record = {**fx.V9_FWF, "acronym": "A" * 500, "title": "nul\x00byte"}
    vocabulary_import(target=AWARDS, records=[record], mapper=award_row)
    award = Award.objects.get()
    assert award.acronym == "A" * 200 and award.title == "nulbyte"


@pytest.mark.django_db
def test_copy_straight_into_the_table_falls_back_when_a_row_was_stored_meanwhile():
    from vocabularies.upserts import _pg_write, copy_text, serialized_rows

    rows = _rows()
    assert _pg_write(AFFILIATIONS, copy_text(serialized_rows(AFFILIATIONS, rows[:3])), all_new=True) == {"created": 3, "updated": 0, "unchanged": 0}
    renamed = _rows()[:5]
    renamed[0]["name"] = "Renamed"
    renamed[0]["content_hash"] = row_hash({k: v for k, v in renamed[0].items() if k != "content_hash"})
    # As if another import stored rows[:3] between the hash lookup and the COPY:
    assert _pg_write(AFFILIATIONS, copy_text(serialized_rows(AFFILIATIONS, renamed)), all_new=True) == {"created": 2, "updated": 1, "unchanged": 2}
    assert Affiliation.objects.get(ror_id=renamed[0]["ror_id"]).name == "Renamed" and Affiliation.objects.count() == 5


@pytest.mark.django_db
def test_serialized_rows_give_the_same_rows_as_dicts():
    import orjson

    from vocabularies.upserts import batch_upsert_serialized

    rows = _rows()
    serialized = []
    for row in rows:
        payload = orjson.dumps({k: v for k, v in row.items() if k != "content_hash"}, option=orjson.OPT_SORT_KEYS)
        serialized.append((row["ror_id"], row["content_hash"], payload))
    assert batch_upsert_serialized(target=AFFILIATIONS, rows=serialized) == {"created": len(rows), "updated": 0, "unchanged": 0}
    from_bytes = list(Affiliation.objects.values())
    Affiliation.objects.all().delete()
    batch_upsert(target=AFFILIATIONS, rows=rows)
    assert [dict(r, id=0) for r in Affiliation.objects.values()] == [dict(r, id=0) for r in from_bytes]
    assert batch_upsert_serialized(target=AFFILIATIONS, rows=serialized) == {"created": 0, "updated": 0, "unchanged": len(rows)}


@pytest.mark.django_db
def test_backslashes_tabs_newlines_and_unicode_survive_the_copy():
    rows = _rows()[:2]
    text = 'back\\slash \t tab \n newline \\u0000 literal, "quoted", \\N, ünï €'
    rows[0].update(name=text, aliases=[text, "\\"], labels={"de": [text]}, city="\\")
    rows[0]["content_hash"] = row_hash({k: v for k, v in rows[0].items() if k != "content_hash"})
    assert batch_upsert(target=AFFILIATIONS, rows=rows)["created"] == 2
    stored = Affiliation.objects.get(ror_id=rows[0]["ror_id"])
    assert (stored.name, stored.aliases, stored.labels, stored.city) == (text, [text, "\\"], {"de": [text]}, "\\")
    assert stored.last_modified == rows[0]["last_modified"]
    assert batch_upsert(target=AFFILIATIONS, rows=rows) == {"created": 0, "updated": 0, "unchanged": 2}
