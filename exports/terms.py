"""Controlled lists of the DataCite Metadata Schema 4.5 (from the kernel-4.5 XSD includes)."""

KERNEL_NAMESPACE = "http://datacite.org/schema/kernel-4"
SCHEMA_LOCATION = "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"

CONTRIBUTOR_TYPES = (
    "ContactPerson", "DataCollector", "DataCurator", "DataManager", "Distributor", "Editor",
    "HostingInstitution", "Other", "Producer", "ProjectLeader", "ProjectManager", "ProjectMember",
    "RegistrationAgency", "RegistrationAuthority", "RelatedPerson", "ResearchGroup", "RightsHolder",
    "Researcher", "Sponsor", "Supervisor", "WorkPackageLeader",
)
DATE_TYPES = (
    "Accepted", "Available", "Collected", "Copyrighted", "Created", "Issued", "Other", "Submitted",
    "Updated", "Valid", "Withdrawn",
)
DESCRIPTION_TYPES = ("Abstract", "Methods", "SeriesInformation", "TableOfContents", "TechnicalInfo", "Other")
FUNDER_IDENTIFIER_TYPES = ("ISNI", "GRID", "ROR", "Crossref Funder ID", "Other")
NAME_TYPES = ("Organizational", "Personal")
NUMBER_TYPES = ("Article", "Chapter", "Report", "Other")
RELATED_IDENTIFIER_TYPES = (
    "ARK", "arXiv", "bibcode", "DOI", "EAN13", "EISSN", "Handle", "IGSN", "ISBN", "ISSN", "ISTC",
    "LISSN", "LSID", "PMID", "PURL", "UPC", "URL", "URN", "w3id",
)
RELATION_TYPES = (
    "IsCitedBy", "Cites", "IsSupplementTo", "IsSupplementedBy", "IsContinuedBy", "Continues",
    "IsNewVersionOf", "IsPreviousVersionOf", "IsPartOf", "HasPart", "IsPublishedIn", "IsReferencedBy",
    "References", "IsDocumentedBy", "Documents", "IsCompiledBy", "Compiles", "IsVariantFormOf",
    "IsOriginalFormOf", "IsIdenticalTo", "HasMetadata", "IsMetadataFor", "Reviews", "IsReviewedBy",
    "IsDerivedFrom", "IsSourceOf", "Describes", "IsDescribedBy", "HasVersion", "IsVersionOf", "Requires",
    "IsRequiredBy", "Obsoletes", "IsObsoletedBy", "Collects", "IsCollectedBy",
)
RESOURCE_TYPES_GENERAL = (
    "Audiovisual", "Book", "BookChapter", "Collection", "ComputationalNotebook", "ConferencePaper",
    "ConferenceProceeding", "DataPaper", "Dataset", "Dissertation", "Event", "Image", "Instrument",
    "InteractiveResource", "Journal", "JournalArticle", "Model", "OutputManagementPlan", "PeerReview",
    "PhysicalObject", "Preprint", "Report", "Service", "Software", "Sound", "Standard", "StudyRegistration",
    "Text", "Workflow", "Other",
)
TITLE_TYPES = ("AlternativeTitle", "Subtitle", "TranslatedTitle", "Other")
