"""Requirement ids of the DMP XDS.b catalogue (conformance/requirements/catalogue/dmp-xds.toml)."""

SOAP = "DMP-40"  # SOAP 1.2 + WS-Addressing
MTOM = "DMP-41"  # MTOM/XOP packaging
STRUCTURE = "DMP-42"  # ebRIM submission structure
REPLACE = "DMP-43"  # RPLC replacement association
VIHF = "DMP-44"  # VIHF assertion and attributes
VIHF_PATIENT = "DMP-45"  # VIHF resource-id = patientId
IDENTITY = "DMP-46"  # patientId, sourcePatientInfo
CODES = "DMP-47"  # class/type/format/facility/practice/confidentiality/language codes
TIMES = "DMP-48"  # creationTime, serviceStart/StopTime
AUTHORS = "DMP-49"  # author, legalAuthenticator
INTEGRITY = "DMP-50"  # hash, size, uniqueId
XDM = "DMP-51"  # IHE_XDM.ZIP layout
ARCHIVE = "DMP-52"  # safe archive
QUERY = "DMP-53"  # ITI-18 FindDocuments request
RETRIEVE = "DMP-54"  # ITI-43 RetrieveDocumentSet request
LOCAL_PATIENT = "DMP-56"  # XDM without INS: local (PI) patientId
