"""Varied demo records (deterministic): for `manage.py seed_records`, the tests and the benchmark."""

from __future__ import annotations

import random

from exports import terms

GIVEN = ["Ana", "Björn", "Chloé", "Dmitrí", "Eşref", "François", "Gráinne", "Håkon", "Ikaika", "José", "Łukasz", "Mārtiņš",
         "Nguyễn", "Øystein", "Renée", "Søren", "Zoë", "Ζωή", "Алексей", "美咲", "Ngozi", "Saoirse"]
FAMILY = ["Ångström", "Błaszczykowski", "Çelik", "Dvořák", "Erdoğan", "García-Márquez", "Hämäläinen", "Ó Súilleabháin",
          "Müller", "Nørgaard", "Papadopoulos", "Šimić", "Tanaka", "Wójcik", "Zoltán", "Иванова", "山田", "Okonkwo"]
ORGS = [("05qrfxd25", "Scuola Internazionale Superiore di Studi Avanzati"), ("01ggx4157", "European Organization for Nuclear Research"),
        ("03yrm5c26", "California Digital Library"), ("04z8jg394", "Zenodo"), ("02mhbdp94", "Universidad de Los Andes"),
        ("013meh722", "University of Cambridge"), ("05a28rw58", "ETH Zürich"), ("04t3en479", "Karlsruher Institut für Technologie")]
FUNDERS_ROR = [("00k4n6c32", "European Commission"), ("021nxhr62", "National Science Foundation"), ("00yjd3n13", "Swiss National Science Foundation")]
FUNDERS_CROSSREF = [("501100000780", "European Commission"), ("100000001", "National Science Foundation"), ("501100001711", "Schweizerischer Nationalfonds")]
WORDS = ["quantum", "sédiment", "Arctic", "øresund", "ligand", "μ-opioid", "naïve", "Bayesian", "coöperative", "protein",
         "galaxy", "lake", "Übergang", "glacier", "entropy", "corpus", "señal", "fjord", "熱力学", "климат", "enzyme", "tensor"]
SUBJECTS = ["FOS: Natural sciences", "FOS: Computer and information sciences", "Klimaforschung", "Océanographie", "Linguistics"]


def _orcid(rng: random.Random) -> str:
    digits = [0, 0, 0, 0, 0, 0, 0, rng.randint(1, 3)] + [rng.randrange(10) for _ in range(7)]  # like real iDs
    total = 0
    for d in digits:
        total = (total + d) * 2
    check = (12 - total % 11) % 11
    s = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
    return f"https://orcid.org/{s[0:4]}-{s[4:8]}-{s[8:12]}-{s[12:16]}"


def _affiliations(rng: random.Random, named: bool) -> list[dict]:
    out = []
    for ror, name in rng.sample(ORGS, rng.randint(0, 3)):
        aff = {"affiliationIdentifier": f"https://ror.org/{ror}", "affiliationIdentifierScheme": "ROR", "schemeUri": "https://ror.org"}
        if named or rng.random() < 0.5:
            aff["name"] = name
        out.append(aff)
    return out


def _person(rng: random.Random, named: bool = True) -> dict:
    if rng.random() < 0.15:
        ror, name = rng.choice(ORGS)
        return {"name": name, "nameType": "Organizational", "nameIdentifiers": [
            {"nameIdentifier": f"https://ror.org/{ror}", "nameIdentifierScheme": "ROR", "schemeUri": "https://ror.org"}]}
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    person = {"name": f"{family}, {given}", "nameType": "Personal", "givenName": given, "familyName": family}
    if rng.random() < 0.7:
        person["nameIdentifiers"] = [{"nameIdentifier": _orcid(rng), "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}]
    affs = _affiliations(rng, named)
    if affs:
        person["affiliation"] = affs
    return person


def _phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def demo_metadata(i: int, *, named_links: bool = True) -> tuple[str, dict]:
    """Return (doi, metadata) of demo record ``i``; ``named_links=False`` leaves some names to the vocabularies."""
    rng = random.Random(i)
    doi = f"10.82433/demo-{i:06d}"
    year = str(rng.randint(1995, 2026))
    meta = {
        "creators": [_person(rng, named_links) for _ in range(rng.randint(1, 5))],
        "titles": [{"title": f"{_phrase(rng, rng.randint(3, 8)).capitalize()} — study {i}", "lang": "en"}],
        "publisher": {"name": rng.choice(["Zenodo", "Jobsite Research Data Repository", "Éditions Données Ouvertes"])},
        "publicationYear": year,
        "types": {"resourceTypeGeneral": rng.choice(terms.RESOURCE_TYPES_GENERAL)},
    }
    if rng.random() < 0.6:
        meta["types"]["resourceType"] = rng.choice(["Survey data", "Simulation output", "Thesis", "Jupyter notebook", "Données"])
    if rng.random() < 0.4:
        meta["titles"].append({"title": _phrase(rng, 4), "titleType": rng.choice(terms.TITLE_TYPES), "lang": rng.choice(["de", "fr", "ja"])})
    if rng.random() < 0.7:
        meta["subjects"] = [{"subject": s} for s in rng.sample(SUBJECTS, rng.randint(1, 3))]
    if rng.random() < 0.5:
        meta["contributors"] = [dict(_person(rng, named_links), contributorType=rng.choice(terms.CONTRIBUTOR_TYPES)) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.8:
        meta["dates"] = [{"date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "dateType": "Issued"}]
        if rng.random() < 0.3:
            meta["dates"].append({"date": f"{year}-01-01/{year}-12-31", "dateType": "Collected", "dateInformation": "Feldkampagne über das Jahr"})
    if rng.random() < 0.7:
        meta["language"] = rng.choice(["en", "de", "fr", "ja", "pt-BR"])
    if rng.random() < 0.5:
        meta["relatedIdentifiers"] = [
            {"relatedIdentifier": f"10.5281/zenodo.{rng.randint(100000, 999999)}", "relatedIdentifierType": "DOI",
             "relationType": rng.choice(terms.RELATION_TYPES)} for _ in range(rng.randint(1, 4))
        ]
        if rng.random() < 0.3:
            meta["relatedIdentifiers"].append({"relatedIdentifier": "https://example.org/ñandú", "relatedIdentifierType": "URL",
                                               "relationType": "IsDocumentedBy", "resourceTypeGeneral": "Text"})
    if rng.random() < 0.4:
        meta["version"] = f"{rng.randint(1, 4)}.{rng.randint(0, 9)}"
    if rng.random() < 0.6:
        meta["rightsList"] = [rng.choice([
            {"rights": "Creative Commons Attribution 4.0 International", "rightsUri": "https://creativecommons.org/licenses/by/4.0/legalcode",
             "rightsIdentifier": "cc-by-4.0", "rightsIdentifierScheme": "SPDX", "schemeUri": "https://spdx.org/licenses/", "lang": "en"},
            {"rights": "Open Access"},
        ])]
    if rng.random() < 0.9:
        meta["descriptions"] = [{"description": f"Résumé: {_phrase(rng, rng.randint(15, 60))}.", "descriptionType": "Abstract", "lang": "en"}]
    if rng.random() < 0.5:
        refs = []
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.5:
                ror, name = rng.choice(FUNDERS_ROR)
                ref = {"funderIdentifier": f"https://ror.org/{ror}", "funderIdentifierType": "ROR"}
            else:
                fid, name = rng.choice(FUNDERS_CROSSREF)
                ref = {"funderIdentifier": f"https://doi.org/10.13039/{fid}", "funderIdentifierType": "Crossref Funder ID"}
            if named_links or rng.random() < 0.5:
                ref["funderName"] = name
            if rng.random() < 0.7:
                ref["awardNumber"] = str(rng.randint(100000, 999999))
                ref["awardTitle"] = f"Förderprojekt {_phrase(rng, 2)}"
            refs.append(ref)
        meta["fundingReferences"] = refs
    if rng.random() < 0.15:
        meta["geoLocations"] = [{"geoLocationPlace": "Reykjavík, Ísland",
                                 "geoLocationPoint": {"pointLatitude": 64.1466, "pointLongitude": -21.9426}}]
    return doi, meta
