"""The counting rules: which sighting counts, for which ESMS, in which period — and why the others do not.

Facts arrive in any order from the readers (:mod:`.evidence`); the tally attributes each one to an
ESMS of the cluster, dates it, keeps it only inside the targets' period and applies the rules
each indicator states (``definitions.toml``). Nothing is dropped silently: every sighting not
counted is listed with its reason. Memory grows with what must be told apart (one entry per DMP
document, per person and per message), never with the documents' contents.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .evidence import (
    ACKNOWLEDGEMENT,
    PROOF_RANK,
    REFUSED,
    UNKNOWN,
    UNREADABLE,
    DocumentSeen,
    Fact,
    MessageSeen,
    PersonSeen,
    Unusable,
)

UNATTRIBUTED = "non_attribuable"
UNDATED = "non_date"
OUTSIDE = "hors_periode"
REPLACEMENT = "remplacement"
WITHOUT_INS = "sans_ins"
DUPLICATE = "doublon"
ANONYMOUS = "personne_non_identifiable"
REASONS = {
    UNATTRIBUTED: "non attribuable à un ESMS de la grappe",
    UNDATED: "non daté",
    OUTSIDE: "hors de la période évaluée",
    REPLACEMENT: "remplacement d'un document (même setId) : pas un nouveau document",
    WITHOUT_INS: "patient sans INS (identité non qualifiée) : document non compté",
    DUPLICATE: "déjà vu dans une autre pièce : compté une seule fois",
    ANONYMOUS: "identité sans nom ni date de naissance : personne non dénombrable",
    UNREADABLE: "illisible",
    UNKNOWN: "pas une preuve d'usage",
    ACKNOWLEDGEMENT: "accusé de réception (MDN), pas un message",
    REFUSED: "refusé par le service simulé",
}
# Indicator families the evidence can give; the others (active records, PSC logins) are declared only.
PERSONS, DMP, MSS = "personnes", "dmp", "mss"
FAMILY_OF = {"soumission": DMP, "document": DMP, "message": MSS, "identité": PERSONS}


@dataclass
class EsmsEvidence:
    """What the evidence shows for one ESMS (or the cluster) in the period."""

    persons: set[str] = field(default_factory=set)
    qualified: set[str] = field(default_factory=set)
    dmp: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    received: int = 0

    @property
    def empty(self) -> bool:
        return not (self.persons or self.dmp or self.sent or self.received)

    def values(self) -> dict[str, Any]:
        """The indicators this evidence gives, under the keys of the declared ones."""
        persons = len(self.persons)
        return {
            "personnes_accompagnees": persons,
            "personnes_ins_qualifiee": len(self.qualified),
            "part_ins_qualifiee": len(self.qualified) / persons if persons else None,
            "documents_dmp_par_type": dict(sorted(self.dmp.items())),
            "documents_dmp": sum(self.dmp.values()),
            "mss_envoyes": self.sent,
            "mss_recus": self.received,
        }


@dataclass
class EvidenceResult:
    esms: dict[str, EsmsEvidence]
    cluster: EsmsEvidence
    excluded: list[dict[str, str]]
    families: set[str]
    read: Counter[str]

    def summary(self) -> dict[str, Any]:
        reasons = Counter(e["motif"] for e in self.excluded)
        return {
            "lus": dict(sorted(self.read.items())),
            "familles": sorted(self.families),
            "ecartes_par_motif": {REASONS[code]: n for code, n in sorted(reasons.items())},
            "ecartes": self.excluded,
        }


class Tally:
    """Feed it every fact (:meth:`add`), then read the counts (:meth:`result`).

    ``esms``: the cluster's FINESS (None without a cluster file: any FINESS is taken); ``mailboxes``:
    mailbox → FINESS, from the cluster file."""

    def __init__(self, window: tuple[datetime.date, datetime.date], esms: list[str] | None, mailboxes: dict[str, str]):
        self.first, self.last = window
        self.known = set(esms) if esms is not None else None
        self.mailboxes = mailboxes
        self.esms: dict[str, EsmsEvidence] = {}
        self.excluded: list[dict[str, str]] = []
        self.families: set[str] = set()
        self.read: Counter[str] = Counter()
        self._documents: dict[str, DocumentSeen] = {}  # the strongest sighting of each document (setId)
        self._messages: set[str] = set()

    def _exclude(self, source: str, what: str, reason: str, detail: str = "") -> None:
        self.excluded.append({"source": source, "objet": what, "motif": reason, "detail": detail})

    def _esms(self, finess: str) -> EsmsEvidence:
        return self.esms.setdefault(finess, EsmsEvidence())

    def _attribute(self, candidates: tuple[str, ...]) -> tuple[str | None, str]:
        """The first candidate FINESS of the cluster (custodian before authors), or why there is none."""
        for finess in candidates:
            if self.known is None or finess in self.known:
                return finess, ""
        if not candidates:
            return None, "aucun identifiant de structure FINESS (« 1 » + FINESS)"
        return None, f"FINESS {', '.join(candidates)} absent(s) du fichier de grappe"

    def _dated(self, source: str, what: str, when: datetime.date | None, dated_by: str) -> bool:
        if when is None:
            self._exclude(source, what, UNDATED, f"aucune date lisible ({dated_by})")
            return False
        if not self.first <= when <= self.last:
            self._exclude(source, what, OUTSIDE, f"{when.isoformat()} ({dated_by})")
            return False
        return True

    def add(self, fact: Fact) -> None:
        if isinstance(fact, Unusable):
            self.read[fact.what] += 1
            if fact.what in FAMILY_OF and fact.reason in (REFUSED, ACKNOWLEDGEMENT):
                self.families.add(FAMILY_OF[fact.what])
            self._exclude(fact.source, fact.what, fact.reason, fact.detail)
        elif isinstance(fact, PersonSeen):
            self.read["identité"] += 1
            self.families.add(PERSONS)
            self._person(fact)
        elif isinstance(fact, DocumentSeen):
            self.read["document"] += 1
            self.families.add(DMP)
            self._document(fact)
        else:
            self.read["message"] += 1
            self.families.add(MSS)
            self._message(fact)

    def _person(self, fact: PersonSeen) -> None:
        finess, why = self._attribute(fact.finess)
        if fact.key is None:
            self._exclude(fact.source, "identité", ANONYMOUS)
            return
        if finess is None:
            self._exclude(fact.source, "identité", UNATTRIBUTED, why)
        elif self._dated(fact.source, "identité", fact.when, fact.dated_by):
            counts = self._esms(finess)
            counts.persons.add(fact.key)
            if fact.qualified:
                counts.qualified.add(fact.key)

    def _document(self, fact: DocumentSeen) -> None:
        """A replacement is never a new document; of several sightings of one document, the strongest proof
        (ITI-41, then XDM, then export), then the earliest date, is the one judged at the end."""
        if fact.replacement:
            self._exclude(fact.source, "document", REPLACEMENT, f"setId {fact.set_id}")
            return
        kept = self._documents.get(fact.set_id)
        if kept is None:
            self._documents[fact.set_id] = fact
            return
        weaker = fact
        if _strength(fact) < _strength(kept):
            self._documents[fact.set_id], weaker, kept = fact, kept, fact
        self._exclude(weaker.source, "document", DUPLICATE, f"même document (setId {kept.set_id}) que {kept.source}")

    def _message(self, fact: MessageSeen) -> None:
        if fact.key in self._messages:
            self._exclude(fact.source, "message", DUPLICATE, f"Message-ID {fact.key} déjà compté")
            return
        self._messages.add(fact.key)
        sender = self.mailboxes.get(fact.sender or "")
        receivers = sorted({self.mailboxes[r] for r in fact.recipients if r in self.mailboxes})
        if sender is None and not receivers:
            self._exclude(
                fact.source,
                "message",
                UNATTRIBUTED,
                f"ni l'expéditeur ({fact.sender or 'absent'}) ni un destinataire n'est une boîte aux lettres "
                "déclarée dans le fichier de grappe (champ bal)",
            )
            return
        if not self._dated(fact.source, "message", fact.when, "en-tête Date"):
            return
        if sender is not None:
            self._esms(sender).sent += 1
        for finess in receivers:
            self._esms(finess).received += 1

    def result(self) -> EvidenceResult:
        for fact in self._documents.values():
            finess, why = self._attribute(fact.finess)
            if finess is None:
                self._exclude(fact.source, "document", UNATTRIBUTED, why)
            elif not self._dated(fact.source, "document", fact.when, fact.dated_by):
                continue
            elif not fact.ins:
                self._exclude(fact.source, "document", WITHOUT_INS, "aucune INS dans recordTarget/patientRole/id")
            else:
                self._esms(finess).dmp[fact.kind] += 1
        cluster = EsmsEvidence()
        for counts in self.esms.values():
            cluster.persons |= counts.persons
            cluster.qualified |= counts.qualified
            cluster.dmp.update(counts.dmp)
            cluster.sent += counts.sent
            cluster.received += counts.received
        return EvidenceResult(self.esms, cluster, self.excluded, self.families, self.read)


def _strength(fact: DocumentSeen) -> tuple[int, int, datetime.date]:
    return PROOF_RANK[fact.proof], fact.when is None, fact.when or datetime.date.max
