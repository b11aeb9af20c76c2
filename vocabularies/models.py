"""Vocabulary records imported from public dumps: ROR, ORCID, OpenAIRE.

Every model keeps a ``content_hash`` of its imported fields: an import rewrites a row
only when the hash differs, so re-importing the same dump changes nothing.

Keys are unique by a ``UniqueConstraint`` and filters have plain ``Index`` es, not
``unique=True`` / ``db_index=True``: on PostgreSQL those would add a second,
``varchar_pattern_ops`` index to every text column (for ``LIKE 'x%'``, which no query
here uses), and each index is written by every imported row (a first ROR import spent
~0.3 s of 1 s of inserting 120,000 rows on the three of them).
"""

from django.db import models
from django.db.models.functions import Cast

ROR_TYPES = ["education", "funder", "healthcare", "company", "archive", "nonprofit", "government", "facility", "other"]


class RorStatus(models.TextChoices):
    ACTIVE = "active", "active"
    INACTIVE = "inactive", "inactive"
    WITHDRAWN = "withdrawn", "withdrawn"


class TypedQuerySet(models.QuerySet):
    def with_type(self, value: str):
        """Rows whose JSON ``types`` list contains ``value`` (works on PostgreSQL and SQLite)."""
        return self.alias(types_text=Cast("types", models.TextField())).filter(types_text__contains=f'"{value}"')


class Affiliation(models.Model):
    """An organisation from the ROR registry."""

    ror_id = models.CharField("ROR id", max_length=9, help_text='9 characters, e.g. "05qrfxd25". Unique.')
    name = models.CharField("display name", max_length=500)
    acronyms = models.JSONField(default=list, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=dict, blank=True, help_text="Labels by language code (\"\" when ROR gives none).")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code of the first location.")
    country_name = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=200, blank=True)
    types = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=RorStatus.choices)
    fundref_ids = models.JSONField("Crossref Funder ids", default=list, blank=True)
    grid_id = models.CharField("GRID id", max_length=30, blank=True)
    isni_ids = models.JSONField("ISNI ids", default=list, blank=True)
    wikidata_ids = models.JSONField("Wikidata ids", default=list, blank=True)
    successor = models.CharField(max_length=9, blank=True, help_text="ROR id of the successor of an inactive or withdrawn record.")
    last_modified = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=32, editable=False)

    objects = TypedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["ror_id"], name="vocabularies_affiliation_ror_id_key")]
        indexes = [
            models.Index(fields=["country"], name="affiliation_country_idx"),
            models.Index(fields=["status"], name="affiliation_status_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ror_id})"


FUNDER_RULE = (
    'A ROR record is imported as a funder when "funder" is one of its types OR it has a '
    "Crossref Funder (fundref) id: the two signals disagree in real data (e.g. 005nqcn81 has a fundref id "
    "but is typed company; 01ahyrz84 is typed funder without a fundref id)."
)


class Funder(models.Model):
    """A funding organisation from the ROR registry."""

    ror_id = models.CharField("ROR id", max_length=9, help_text=FUNDER_RULE)
    name = models.CharField(max_length=500)
    country = models.CharField(max_length=2, blank=True)
    fundref_ids = models.JSONField(
        "Crossref Funder ids", default=list, blank=True,
        help_text="Crossref Funder Registry ids (DOI 10.13039/<id>); the preferred one first.",
    )
    status = models.CharField(max_length=10, choices=RorStatus.choices)
    last_modified = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "funder"
        constraints = [models.UniqueConstraint(fields=["ror_id"], name="vocabularies_funder_ror_id_key")]
        indexes = [
            models.Index(fields=["country"], name="funder_country_idx"),
            models.Index(fields=["status"], name="funder_status_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ror_id})"


class Name(models.Model):
    """A person's name from an ORCID record."""

    orcid_id = models.CharField("ORCID iD", max_length=19)
    given_names = models.CharField(max_length=300, blank=True)
    family_name = models.CharField(max_length=300, blank=True)
    credit_name = models.CharField(max_length=300, blank=True)
    other_names = models.JSONField(default=list, blank=True)
    employments = models.JSONField(
        default=list, blank=True,
        help_text="Current employments: organisation name, ROR / GRID / Ringgold id, city, country, department, role.",
    )
    last_modified = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["family_name", "given_names"]
        constraints = [models.UniqueConstraint(fields=["orcid_id"], name="vocabularies_name_orcid_id_key")]

    def __str__(self):
        return f"{self.given_names} {self.family_name} ({self.orcid_id})".strip()


class Award(models.Model):
    """A research project / grant from the OpenAIRE Graph."""

    openaire_id = models.CharField("OpenAIRE id", max_length=100)
    number = models.CharField(max_length=200, blank=True)
    title = models.TextField(blank=True)
    acronym = models.CharField(max_length=200, blank=True)
    funder_ror_id = models.CharField(
        "funder ROR id", max_length=9, blank=True,
        help_text="From the OpenAIRE id prefix (e.g. corda__h2020 -> EC 00k4n6c32).",
    )
    funder = models.ForeignKey(Funder, null=True, blank=True, on_delete=models.SET_NULL, related_name="awards")
    programme = models.CharField(max_length=100, blank=True)
    funding_stream = models.CharField(max_length=300, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    content_hash = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["openaire_id"]
        constraints = [models.UniqueConstraint(fields=["openaire_id"], name="vocabularies_award_openaire_id_key")]
        indexes = [models.Index(fields=["funder_ror_id"], name="award_funder_ror_id_idx")]

    def __str__(self):
        return f"{self.number} {self.acronym or self.title[:60]}".strip()
