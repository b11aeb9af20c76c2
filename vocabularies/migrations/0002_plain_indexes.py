"""Keys unique by constraint and filters by plain indexes, without the LIKE (varchar_pattern_ops)
indexes that ``unique=True`` / ``db_index=True`` add on PostgreSQL (see vocabularies/models.py)."""

from django.db import migrations, models

FUNDER_RULE = (  # the help text as it was (vocabularies.models.FUNDER_RULE)
    'A ROR record is imported as a funder when "funder" is one of its types OR it has a '
    "Crossref Funder (fundref) id: the two signals disagree in real data (e.g. 005nqcn81 has a fundref id "
    "but is typed company; 01ahyrz84 is typed funder without a fundref id)."
)
STATUS = models.CharField(choices=[("active", "active"), ("inactive", "inactive"), ("withdrawn", "withdrawn")], max_length=10)
FIELDS = {
    ("affiliation", "country"): models.CharField(
        blank=True, help_text="ISO 3166 country code of the first location.", max_length=2
    ),
    ("affiliation", "ror_id"): models.CharField(
        help_text='9 characters, e.g. "05qrfxd25". Unique.', max_length=9, verbose_name="ROR id"
    ),
    ("affiliation", "status"): STATUS,
    ("award", "funder_ror_id"): models.CharField(
        blank=True, help_text="From the OpenAIRE id prefix (e.g. corda__h2020 -> EC 00k4n6c32).", max_length=9,
        verbose_name="funder ROR id",
    ),
    ("award", "openaire_id"): models.CharField(max_length=100, verbose_name="OpenAIRE id"),
    ("funder", "country"): models.CharField(blank=True, max_length=2),
    ("funder", "ror_id"): models.CharField(help_text=FUNDER_RULE, max_length=9, verbose_name="ROR id"),
    ("funder", "status"): STATUS.clone(),
    ("name", "orcid_id"): models.CharField(max_length=19, verbose_name="ORCID iD"),
}
INDEXES = {
    "affiliation": ["country", "status"],
    "award": ["funder_ror_id"],
    "funder": ["country", "status"],
}
KEYS = {"affiliation": "ror_id", "award": "openaire_id", "funder": "ror_id", "name": "orcid_id"}


class Migration(migrations.Migration):

    dependencies = [
        ("vocabularies", "0001_initial"),
    ]

    operations = [
        *(migrations.AlterField(model_name=model, name=name, field=field) for (model, name), field in FIELDS.items()),
        *(
            migrations.AddIndex(model_name=model, index=models.Index(fields=[name], name=f"{model}_{name}_idx"))
            for model, names in INDEXES.items() for name in names
        ),
        *(
            migrations.AddConstraint(
                model_name=model, constraint=models.UniqueConstraint(fields=[key], name=f"vocabularies_{model}_{key}_key")
            )
            for model, key in KEYS.items()
        ),
    ]
