"""Where each vocabulary is written (model, natural key, imported columns)."""

from vocabularies.models import Affiliation, Award, Funder, Name
from vocabularies.upserts import Target

AFFILIATIONS = Target(
    model=Affiliation,
    key="ror_id",
    columns=(
        "ror_id", "name", "acronyms", "aliases", "labels", "country", "country_name", "city", "types", "status",
        "fundref_ids", "grid_id", "isni_ids", "wikidata_ids", "successor", "last_modified",
    ),
)
FUNDERS = Target(
    model=Funder,
    key="ror_id",
    columns=("ror_id", "name", "country", "fundref_ids", "status", "last_modified"),
)
NAMES = Target(
    model=Name,
    key="orcid_id",
    columns=("orcid_id", "given_names", "family_name", "credit_name", "other_names", "employments", "last_modified"),
)
AWARDS = Target(
    model=Award,
    key="openaire_id",
    columns=(
        "openaire_id", "number", "title", "acronym", "funder_ror_id", "programme", "funding_stream",
        "start_date", "end_date", "url",
    ),
    fk=("funder_id", "funder_ror_id", Funder, "ror_id"),
)
