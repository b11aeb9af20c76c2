"""Links from records to the vocabularies (ROR affiliations, funders, awards) and to runs.

Records store identifiers (ROR ids, Crossref Funder ids, award numbers) inside their
metadata, with or without a name; names are looked up here, once per chunk of records,
into a ``Links`` object whose ``apply`` completes one record's metadata without touching
the database. So the serializers stay pure and an export costs a constant number of
queries per chunk.

The naming rule (``name_resolve``), the same on the record page and in every
serializer: a linked affiliation or funder is named by the record's own name when it
has one, else by the vocabulary's name for its identifier; with neither, the record
cannot be exported (``LinkUnresolved``: an errored entry of the export run), never an
identifier written where a name belongs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import NotSupportedError
from django.db.models import Q
from django.urls import reverse

from exports.models import ExportFile

_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{6}[0-9]{2})$")
_FUNDREF = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/)?(?:10\.13039/)?(\d{6,})$")


def ror_id(value: str | None) -> str | None:
    """Return the 9-character ROR id of ``https://ror.org/05qrfxd25`` or ``05qrfxd25``."""
    match = _ROR.match((value or "").strip().lower())
    return match.group(1) if match else None


def fundref_id(value: str | None) -> str | None:
    """Return the Crossref Funder id of ``https://doi.org/10.13039/501100000780`` (or the bare number)."""
    match = _FUNDREF.match((value or "").strip())
    return match.group(1) if match else None


class LinkUnresolved(ValueError):
    """A linked identifier has no name: the vocabulary does not know it and the record gives none."""


@dataclass(frozen=True)
class LinkedName:
    """The name every serializer and the record page show for one linked identifier."""

    path: str  # where in the metadata: creators[0].affiliation[1], fundingReferences[0]
    scheme: str  # ROR, Crossref Funder ID, or the scheme the record gives
    identifier: str
    name: str | None  # what is exported; None: nothing (the export reports the record as errored)
    source: str  # "record", "vocabulary" or "" (no name)
    vocabulary_name: str | None


def name_resolve(stored: str | None, vocabulary: str | None) -> tuple[str | None, str]:
    """THE naming rule: the record's own name, else the vocabulary's, else none (an error)."""
    if stored:
        return stored, "record"
    if vocabulary:
        return vocabulary, "vocabulary"
    return None, ""


@dataclass
class Links:
    """Names known in the vocabularies for the identifiers of a set of records."""

    affiliations: dict[str, str] = field(default_factory=dict)  # ror id -> name
    funders_ror: dict[str, str] = field(default_factory=dict)  # ror id -> name
    funders_fundref: dict[str, str] = field(default_factory=dict)  # fundref id -> name
    awards: dict[str, str] = field(default_factory=dict)  # award number -> title

    def affiliation_name(self, aff: dict) -> str | None:
        return self.affiliations.get(ror_id(aff.get("affiliationIdentifier")) or "")

    def funder_name(self, ref: dict) -> str | None:
        kind = ref.get("funderIdentifierType")
        if kind == "ROR":
            return self.funders_ror.get(ror_id(ref.get("funderIdentifier")) or "")
        if kind == "Crossref Funder ID":
            return self.funders_fundref.get(fundref_id(ref.get("funderIdentifier")) or "")
        return None

    def names(self, metadata: dict) -> list[LinkedName]:
        """Every linked affiliation and funder of a record with the name the rule gives it."""
        out = []
        for key in ("creators", "contributors"):
            for i, person in enumerate(metadata.get(key) or ()):
                for j, aff in enumerate(person.get("affiliation") or ()):
                    if aff.get("affiliationIdentifier"):
                        vocab = self.affiliation_name(aff)
                        out.append(LinkedName(
                            f"{key}[{i}].affiliation[{j}]", aff.get("affiliationIdentifierScheme") or "",
                            aff["affiliationIdentifier"], *name_resolve(aff.get("name"), vocab), vocab,
                        ))
        for i, ref in enumerate(metadata.get("fundingReferences") or ()):
            if ref.get("funderIdentifier"):
                vocab = self.funder_name(ref)
                out.append(LinkedName(
                    f"fundingReferences[{i}]", ref.get("funderIdentifierType") or "", ref["funderIdentifier"],
                    *name_resolve(ref.get("funderName"), vocab), vocab,
                ))
        return out

    def apply(self, metadata: dict) -> dict:
        """Return ``metadata`` with every linked name as the rule gives it, and award titles filled in.

        Raises ``LinkUnresolved`` naming each identifier that ends up without a name,
        so no serializer ever writes an identifier where a name belongs.
        """
        unresolved = [
            f"{link.path}: {link.scheme or 'identifier'} {link.identifier} is not in the vocabulary and the record gives no name"
            for link in self.names(metadata) if link.name is None
        ]
        if unresolved:
            raise LinkUnresolved("; ".join(unresolved))
        if not (self.affiliations or self.funders_ror or self.funders_fundref or self.awards):
            return metadata
        out = dict(metadata)
        for key in ("creators", "contributors"):
            if metadata.get(key):
                out[key] = [self._person(p) for p in metadata[key]]
        if metadata.get("fundingReferences"):
            out["fundingReferences"] = [self._funding(r) for r in metadata["fundingReferences"]]
        return out

    def _person(self, person: dict) -> dict:
        affs = person.get("affiliation")
        if not affs or all(a.get("name") for a in affs):
            return person
        filled = []
        for aff in affs:
            name, source = name_resolve(aff.get("name"), self.affiliation_name(aff))
            filled.append(dict(aff, name=name) if source == "vocabulary" else aff)
        return dict(person, affiliation=filled)

    def _funding(self, ref: dict) -> dict:
        changes = {}
        name, source = name_resolve(ref.get("funderName"), self.funder_name(ref))
        if source == "vocabulary":
            changes["funderName"] = name
        if not ref.get("awardTitle") and ref.get("awardNumber") in self.awards:
            changes["awardTitle"] = self.awards[ref["awardNumber"]]
        return dict(ref, **changes) if changes else ref


def identifiers_collect(metadatas) -> tuple[set, set, set, set]:
    """Return the ROR affiliation ids, funder ROR ids, fundref ids and award numbers used."""
    affs, f_ror, f_ref, awards = set(), set(), set(), set()
    for meta in metadatas:
        for key in ("creators", "contributors"):
            for person in meta.get(key) or ():
                for aff in person.get("affiliation") or ():
                    rid = ror_id(aff.get("affiliationIdentifier"))
                    if rid:
                        affs.add(rid)
        for ref in meta.get("fundingReferences") or ():
            kind = ref.get("funderIdentifierType")
            if kind == "ROR" and ror_id(ref.get("funderIdentifier")):
                f_ror.add(ror_id(ref["funderIdentifier"]))
            elif kind == "Crossref Funder ID" and fundref_id(ref.get("funderIdentifier")):
                f_ref.add(fundref_id(ref["funderIdentifier"]))
            if ref.get("awardNumber"):
                awards.add(ref["awardNumber"])
    return affs, f_ror, f_ref, awards


def links_for(metadatas) -> Links:
    """Look up, in a few queries, what the vocabularies know about these records' identifiers."""
    links = Links()
    affiliation, funder, award = (apps.get_model("vocabularies", name) for name in ("Affiliation", "Funder", "Award"))
    affs, f_ror, f_ref, award_numbers = identifiers_collect(metadatas)
    if affs:
        links.affiliations = dict(affiliation.objects.filter(ror_id__in=affs).values_list("ror_id", "name"))
    if f_ror:
        links.funders_ror = dict(funder.objects.filter(ror_id__in=f_ror).values_list("ror_id", "name"))
    if f_ref:
        links.funders_fundref = _funders_by_fundref(funder, f_ref)
    if award_numbers:
        links.awards = dict(award.objects.filter(number__in=award_numbers).values_list("number", "title"))
    return links


def _funders_by_fundref(funder, wanted: set) -> dict[str, str]:
    query = Q()
    for fid in wanted:
        query |= Q(fundref_ids__contains=[fid])
    try:
        rows = list(funder.objects.filter(query).values_list("fundref_ids", "name"))
    except NotSupportedError:  # JSON containment needs PostgreSQL; scan funders that have ids instead
        rows = funder.objects.exclude(fundref_ids=[]).values_list("fundref_ids", "name").iterator()
    found = {}
    for ids, name in rows:
        for fid in ids or ():
            if str(fid) in wanted:
                found[str(fid)] = name
    return found


def export_files_for_run(run, user=None) -> list[dict]:
    """The export files a run produced, for the run page (download URL only when ``user`` may download)."""
    may_download = user is not None and user.has_perm("exports.download_exportfile")
    out = []
    for ef in ExportFile.objects.filter(run_id=getattr(run, "pk", run)).order_by("created_at"):
        out.append(
            {
                "id": ef.pk,
                "filename": ef.filename,
                "size": ef.size,
                "record_count": ef.record_count,
                "deleted_count": ef.deleted_count,
                "errored_count": ef.errored_count,
                "sha256": ef.sha256,
                "url": reverse("admin:exports_exportfile_download", args=[ef.pk]) if may_download else None,
            }
        )
    return out
