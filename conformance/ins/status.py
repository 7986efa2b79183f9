"""RNIV identity status checks: INS only for a qualified identity (INS-10), valid status and
attributes (INS-11). CDA R2 and the INSi carry no status, so both rules are then omitted."""

from __future__ import annotations

from ..model import Finding, failed, omitted, passed, skipped
from .identity import STATUSES, Identity

# Attributes that keep an identity provisional and may not be combined
# [segur-spec-facts §1.3: FR Core fr-core-identity-reliability-1/-2, RNIV EXI SI 09].
PROVISIONAL_ONLY = ("DOUT", "FICT")


def _no_status_in_format(req: str, identity: Identity) -> list[Finding]:
    return [
        omitted(
            req,
            f"Le format {identity.source_kind} ne porte pas le statut de l'identité (RNIV) : "
            "exigence vérifiable seulement dans le logiciel ou sur un flux HL7 v2 / FHIR.",
            identity.locate("identity"),
        )
    ]


def check_ins_requires_qual(identity: Identity) -> list[Finding]:
    """INS-10: the INS matricule travels only with a qualified (QUAL) identity."""
    if not identity.format_carries_status:
        return _no_status_in_format("INS-10", identity)
    if not identity.carries_ins:
        return [omitted("INS-10", f"Pas d'INS pour l'{identity.label} : rien à vérifier.", identity.locate("identity"))]
    where = identity.locate("status")
    if identity.status is None:
        return [
            skipped(
                "INS-10", "INS transmis sans statut d'identité : qualification non vérifiable (voir INS-11).", where
            )
        ]
    if identity.status != "QUAL":
        return [
            failed(
                "INS-10",
                f"Matricule INS {identity.matricule} transmis pour une identité au statut "
                f"{identity.status} : seule une identité qualifiée (QUAL) peut porter l'INS.",
                identity.locate("matricule"),
                f"{identity.matricule} / {identity.status}",
            )
        ]
    return [passed("INS-10", "INS transmis pour une identité qualifiée (QUAL).", where, identity.status)]


def check_status(identity: Identity) -> list[Finding]:
    """INS-11: status is one of PROV/RECUP/VALI/QUAL; DOUT/FICT stay PROV and never combine."""
    if not identity.format_carries_status:
        return _no_status_in_format("INS-11", identity)
    where = identity.locate("status")
    if identity.status is None:
        if identity.carries_ins:
            return [failed("INS-11", "Aucun statut d'identité (PROV, RECUP, VALI, QUAL) transmis avec l'INS.", where)]
        return [omitted("INS-11", f"Ni INS ni statut transmis pour l'{identity.label}.", identity.locate("identity"))]
    out = []
    if identity.status not in STATUSES:
        out.append(
            failed(
                "INS-11",
                f"Statut d'identité « {identity.status} » inconnu : attendu l'un de {', '.join(STATUSES)}.",
                where,
                identity.status,
            )
        )
    extra = [a for a in identity.attributes if a in STATUSES]
    if extra:
        out.append(
            failed(
                "INS-11",
                f"Plusieurs statuts transmis ({identity.status}, {', '.join(extra)}) : les statuts sont exclusifs.",
                where,
                " ".join((identity.status, *extra)),
            )
        )
    flags = [a for a in PROVISIONAL_ONLY if a in identity.attributes]
    attr_where = identity.locate("attributes")
    if len(flags) > 1:
        out.append(
            failed(
                "INS-11",
                "Les attributs identité douteuse (DOUT) et fictive (FICT) ne se cumulent pas.",
                attr_where,
                " ".join(flags),
            )
        )
    if flags and identity.status != "PROV":
        out.append(
            failed(
                "INS-11",
                f"Une identité {' / '.join(flags)} reste provisoire (PROV), or son statut est {identity.status}.",
                attr_where,
                f"{identity.status} {' '.join(flags)}",
            )
        )
    if out:
        return out
    attrs = f", attributs {', '.join(identity.attributes)}" if identity.attributes else ""
    return [passed("INS-11", f"Statut d'identité {identity.status}{attrs} conforme.", where, identity.status)]
