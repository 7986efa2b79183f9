"""Helpers shared by the CDA layers: CDA detection, per-requirement collection of problems."""

from __future__ import annotations

from functools import wraps
from typing import Callable, Protocol, cast

from ..decides import decides
from ..model import Finding, failed, omitted, passed
from ..xmlsafe import HL7_NS, XmlDocument

CDA_ROOT = f"{{{HL7_NS}}}ClinicalDocument"
HL7 = f"{{{HL7_NS}}}"
PERSON_ID_ROOT = "1.2.250.1.71.4.2.1"
ORG_ID_ROOT = "1.2.250.1.71.4.2.2"
PATIENT_CUSTODIAN_ROOT = "1.2.250.1.213.4.1"
INS_ROOTS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
XDS_SD_TEMPLATE = "1.3.6.1.4.1.19376.1.2.20"
HL7_FRANCE_TEMPLATE = "2.16.840.1.113883.2.8.2.1"
CISIS_TEMPLATE = "1.2.250.1.213.1.1.1.1"

Layer = Callable[[XmlDocument, object], list[Finding]]


class CdaLayer(Protocol):
    """A layer made by :func:`cda_layer`: it carries the requirements it decides."""

    decides: tuple[str, ...]

    def __call__(self, doc: XmlDocument, ctx: object, /) -> list[Finding]: ...


def is_cda(doc: XmlDocument) -> bool:
    return doc.root.tag == CDA_ROOT


def cda_layer(*requirements: str):
    """A layer only runs on a CDA ClinicalDocument; on anything else its requirements do not apply.

    The layer decides ``requirements``: it is declared with :func:`~dui_conformance.decides.decides`
    (``layer.decides`` holds them), the one link from a requirement id to the code that decides it."""

    def wrap(func: Layer) -> CdaLayer:
        @wraps(func)
        def run(doc: XmlDocument, ctx) -> list[Finding]:
            if not is_cda(doc):
                return [
                    omitted(
                        r,
                        "Pas un ClinicalDocument CDA R2 : contrôle non applicable (voir DMP-01).",
                        doc.locate(doc.root),
                    )
                    for r in requirements
                ]
            return func(doc, ctx)

        return cast(CdaLayer, decides(*requirements)(run))  # decides() gave the function the protocol's attribute

    return wrap


class Check:
    """Collect the problems of one requirement; a rule that holds yields exactly one pass finding."""

    def __init__(self, doc: XmlDocument, requirement: str, ok: str):
        self.doc, self.requirement, self.ok = doc, requirement, ok
        self.problems: list[Finding] = []

    def fail(self, message: str, node=None, evidence: str | None = None) -> None:
        self.problems.append(
            failed(self.requirement, message, self.doc.locate(self.doc.root if node is None else node), evidence)
        )

    def require(self, condition: bool, message: str, node=None) -> bool:
        if not condition:
            self.fail(message, node)
        return condition

    def findings(self, node=None) -> list[Finding]:
        return self.problems or [
            passed(self.requirement, self.ok, self.doc.locate(self.doc.root if node is None else node))
        ]


def has_null(node) -> bool:
    return node is not None and node.get("nullFlavor") is not None


def describe(node) -> str:
    """Short evidence string for an element: its tag and attributes."""
    attrs = " ".join(f'{k}="{v}"' for k, v in node.attrib.items())
    local = node.tag.split("}")[-1] if isinstance(node.tag, str) else "?"
    return f"<{local} {attrs}/>" if attrs else f"<{local}/>"
