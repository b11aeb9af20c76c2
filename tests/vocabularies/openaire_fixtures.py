"""OpenAIRE project lines for the tests.

OpenAIRE publishes no small real ``project.tar`` sample (FORMATS.md §3.3): these records are
hand-assembled from the documented examples — the OpenAIRE-Advance project of the Graph v7
docs (``corda__h2020::70ea…``, 777541, EC::H2020::RIA), the NSF project id/code named in
invenio-vocabularies' tests and the FWF id/code of the v9 example — each written in one of
the three key spellings (≤ v7, v8, v9+). Titles, dates and URLs are illustrative; derived
data, not verbatim dump lines.
"""

V7_H2020 = {
    "id": "corda__h2020::70ea22400fd890c5033cb31642c4ae68",
    "code": "777541",
    "acronym": "OpenAIRE-Advance",
    "title": "OpenAIRE Advancing Open Scholarship",
    "startdate": "2018-01-01",
    "enddate": "2020-12-31",
    "callidentifier": "H2020-EINFRA-2017",
    "websiteurl": "https://www.openaire.eu/advance/",
    "funding": [{"shortName": "EC", "name": "European Commission", "jurisdiction": "EU",
                 "funding_stream": {"id": "EC::H2020::RIA", "description": "Research and Innovation action"}}],
    "granted": {"currency": "EUR", "fundedamount": 10000000.0, "totalcost": 10000000.0},
    "h2020programme": [{"code": "H2020-EU.1.4.1.3.", "description": "Development, deployment and operation of ICT-based e-infrastructures"}],
    "subject": [],
    "summary": "OpenAIRE-Advance continues the mission of OpenAIRE.",
}

V8_NSF = {
    "id": "nsf_________::3eb1b4f6d6e251a19f9fdeed2aab88d8",
    "code": "0751743",
    "acronym": None,
    "title": "Illustrative NSF project title",
    "startDate": "2008-04-01",
    "endDate": "2011-03-31",
    "callIdentifier": None,
    "websiteUrl": None,
    "funding": [{"shortName": "NSF", "name": "National Science Foundation", "jurisdiction": "US",
                 "fundingStream": {"id": "NSF::GEO/OAD::GEO/OCE", "description": "Division of Ocean Sciences"}}],
    "granted": {"currency": "USD", "fundedAmount": 150000.0, "totalCost": 0.0},
    "subject": ["Oceanography"],
}

V9_FWF = {
    "id": "fwf_________::8b1f2314ba8a643ad9b2383f88f1ae43",
    "code": "Y 1067",
    "acronym": None,
    "title": "Illustrative FWF START project title",
    "startDate": "2018-03-01",
    "endDate": "2024-02-29",
    "websiteUrl": "https://pf.fwf.ac.at/en/research-in-practice/project-finder?search[what]=Y1067",
    "fundings": [{"shortName": "FWF", "name": "Austrian Science Fund (FWF)", "jurisdiction": "AT",
                  "fundingStream": {"id": "FWF::FWF START Award", "description": "START"}}],
    "granted": {"currency": "EUR", "fundedAmount": 1200000.0, "totalCost": 0.0},
    "h2020Programmes": [],
    "subjects": [],
}

# Placeholder-style project with no title (>15 000 FCT projects have none) and an unknown prefix.
NO_TITLE = {"id": "fct_________::0f0e0d0c0b0a09080706050403020100", "code": "UIDB/00001/2020", "fundings": []}
UNKNOWN_FUNDER = {"id": "xyz_________::00000000000000000000000000000001", "code": "1", "title": "Unknown funder"}

ALL = [V7_H2020, V8_NSF, V9_FWF, NO_TITLE, UNKNOWN_FUNDER]
