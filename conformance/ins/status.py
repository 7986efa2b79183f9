"""RNIV identity status checks: INS only for a qualified identity (INS-10), valid status and
attributes (INS-11), unambiguous status code (INS-15). CDA R2 and the INSi carry no status, so
these rules are then omitted.

What a status code means depends on the standard and the code system it is sent in
[segur-spec-facts §7.2, §7.3]: in HL7 v2 (IHE PAM France 2.11.2, table 0445) a qualified identity
is sent as VALI with the INS in PID-3, and no QUAL code exists; in FHIR, fr-core-cs-identity-status
and fr-core-cs-fiabilite-identite have QUAL, while the legacy fr-core-cs-v2-0445 has none, so
its VALI cannot tell a qualified identity from a validated one.
"""

from __future__ import annotations

from ..decides import decides
from ..model import Finding, failed, omitted, passed, skipped
from .identity import (
    CS_FIABILITE,
    CS_IDENTITY_STATUS,
    CS_V2_0445,
    PAM_FR_0445,
    PAM_FR_STATUSES,
    STATUSES,
    STRICT_STATUS_SYSTEMS,
    Identity,
)

# Attributes that keep an identity provisional and may not be combined
# [segur-spec-facts §1.3: FR Core fr-core-identity-reliability-1/-2, RNIV EXI SI 09].
PROVISIONAL_ONLY = ("DOUT", "FICT")
PAM_SOURCE = "IHE PAM France 2.11.2 §6.6.1 et table 0445 (segur-spec-facts §7.2)"
FHIR_SOURCE = "FR Core fr-core-cs-identity-status / fr-core-cs-v2-0445 (segur-spec-facts §7.3)"
QUALIFIED, NOT_QUALIFIED, AMBIGUOUS = "qualifiée", "non qualifiée", "ambiguë"


def _no_status_in_format(req: str, identity: Identity) -> list[Finding]:
    return [
        omitted(
            req,
            f"Le format {identity.source_kind} ne porte pas le statut de l'identité (RNIV) : "
            "exigence vérifiable seulement dans le logiciel ou sur un flux HL7 v2 / FHIR.",
            identity.locate("identity"),
        )
    ]


def qualification(identity: Identity) -> tuple[str, str]:
    """(QUALIFIED | NOT_QUALIFIED | AMBIGUOUS, why in French) for an identity that has a status."""
    code, system = identity.status, identity.status_system
    if identity.source_kind == "hl7v2":
        if code == "VALI":
            return QUALIFIED, f"PID-32 = VALI avec l'INS en PID-3 : identité qualifiée selon {PAM_SOURCE}"
        return NOT_QUALIFIED, (
            f"PID-32 = {code} trouvé, VALI attendu : {PAM_SOURCE} transmet une identité qualifiée "
            "par VALI avec l'INS en PID-3 (la table 0445 n'a ni QUAL ni RECUP)"
        )
    if code == "QUAL":
        return QUALIFIED, f"statut QUAL ({system or 'système non précisé'})"
    if code == "VALI" and system not in STRICT_STATUS_SYSTEMS:
        where = f"du système {CS_V2_0445}" if system == CS_V2_0445 else "sans système de codes (valueCoding.system)"
        return AMBIGUOUS, (
            f"statut VALI {where} trouvé avec l'INS : ce système n'a pas de code QUAL, VALI y désigne "
            "aussi bien une identité validée que qualifiée ; attendu QUAL de "
            f"{CS_IDENTITY_STATUS} ou {CS_FIABILITE} ({FHIR_SOURCE})"
        )
    return NOT_QUALIFIED, (
        f"statut {code} ({system or 'système non précisé'}) trouvé, QUAL attendu : seule une "
        "identité qualifiée porte l'INS"
    )


@decides("INS-10")
def check_ins_requires_qual(identity: Identity) -> list[Finding]:
    """INS-10: the INS matricule travels only with a qualified identity (as each standard codes it)."""
    if not identity.format_carries_status:
        return _no_status_in_format("INS-10", identity)
    if not identity.carries_ins:
        return [omitted("INS-10", f"{identity.without_ins} : rien à vérifier.", identity.locate("identity"))]
    where = identity.locate("status")
    if identity.status is None:
        return [
            skipped(
                "INS-10", "INS transmis sans statut d'identité : qualification non vérifiable (voir INS-11).", where
            )
        ]
    verdict, why = qualification(identity)
    evidence = f"{identity.matricule} / {identity.status} / {identity.status_system or '-'}"
    if verdict == NOT_QUALIFIED:
        return [
            failed(
                "INS-10",
                f"Matricule INS {identity.matricule} transmis pour une identité non qualifiée : {why}.",
                identity.locate("matricule"),
                evidence,
            )
        ]
    if verdict == AMBIGUOUS:
        return [
            passed(
                "INS-10",
                "INS transmis avec le statut VALI d'un système sans QUAL, lu comme qualifié "
                "(invariant FR Core fr-core-1) ; l'ambiguïté est signalée par INS-15.",
                where,
                evidence,
            )
        ]
    return [passed("INS-10", f"INS transmis pour une identité qualifiée : {why}.", where, evidence)]


@decides("INS-15")
def check_status_unambiguous(identity: Identity) -> list[Finding]:
    """INS-15 (advisory): the status code says without ambiguity that the identity carrying the INS is qualified."""
    if not identity.format_carries_status:
        return _no_status_in_format("INS-15", identity)
    if not identity.carries_ins or identity.status is None:
        return [
            omitted("INS-15", f"Pas d'INS accompagné d'un statut pour l'{identity.label}.", identity.locate("identity"))
        ]
    verdict, why = qualification(identity)
    where = identity.locate("status")
    if verdict == AMBIGUOUS:
        return [
            failed(
                "INS-15",
                f"Statut d'identité ambigu (avertissement, non bloquant) : {why}.",
                where,
                f"{identity.status} / {identity.status_system or '-'}",
            )
        ]
    return [passed("INS-15", f"Statut sans ambiguïté : {why}.", where, identity.status)]


def _allowed_statuses(identity: Identity) -> tuple[tuple[str, ...], str]:
    if identity.status_system == PAM_FR_0445:
        return PAM_FR_STATUSES, PAM_SOURCE
    if identity.status_system == CS_V2_0445:
        return PAM_FR_STATUSES, f"{CS_V2_0445}, sans RECUP ni QUAL ({FHIR_SOURCE})"
    return STATUSES, "RNIV EXI SI 07"


@decides("INS-11")
def check_status(identity: Identity) -> list[Finding]:
    """INS-11: status valid in its code system (PROV/RECUP/VALI/QUAL, PAM FR: PROV/VALI); DOUT/FICT stay
    PROV and never combine."""
    if not identity.format_carries_status:
        return _no_status_in_format("INS-11", identity)
    where = identity.locate("status")
    if identity.status is None:
        if identity.carries_ins:
            return [failed("INS-11", "Aucun statut d'identité (PROV, RECUP, VALI, QUAL) transmis avec l'INS.", where)]
        return [omitted("INS-11", f"Ni INS ni statut transmis pour l'{identity.label}.", identity.locate("identity"))]
    out = []
    known = (None, PAM_FR_0445, CS_V2_0445, *STRICT_STATUS_SYSTEMS)
    if identity.status_system not in known:
        out.append(
            failed(
                "INS-11",
                f"Statut d'identité du système de codes « {identity.status_system} » : attendu "
                f"{CS_IDENTITY_STATUS} ou {CS_FIABILITE} ({FHIR_SOURCE}).",
                where,
                identity.status_system,
            )
        )
    allowed, source = _allowed_statuses(identity)
    if identity.status not in allowed:
        out.append(
            failed(
                "INS-11",
                f"Statut d'identité « {identity.status} » trouvé : attendu l'un de {', '.join(allowed)} ({source}).",
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
