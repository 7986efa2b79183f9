"""Cluster eligibility and amounts under one campaign's rule set.

Each rule gives one reason (``regle``, ``statut``, ``message``, and the sentences it rests on). A
project rule that fails makes the cluster not eligible; an ESMS rule that fails refuses that ESMS's
part only (``refus_partiel``) and the rest of the project keeps its grant. Sizes are counted on the
ESMS whose DUI part is kept. Where the sources leave a choice (which ESMS fall under the 30-ESMS
cap, which ARS instructs when two sources disagree) the rule says *à vérifier* and gives what
follows from each choice: the result never depends on the order of the file. What a flag claims
(a "small" OG, a territory) is compared with what the FINESS and the counts show, which decide.
An amount no source fixes is a parameter: left unset, the total is undetermined, never a default.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import french as fr
from .finess import department, finess_problem, known_regions, region_of
from .rulesets import Parameter, RuleSet

# Reason statuses.
OK = "respectee"
KO = "non_respectee"
PARTIAL = "refus_partiel"
CHECK = "a_verifier"
NA = "non_applicable"
# Condition statuses.
MET = "remplie"
UNMET = "non_remplie"
TO_CHECK = "a_verifier"
NOT_EVALUATED = "non_evaluee"
UNDECIDABLE = "non_decidable"
PARTIAL_MET = "partiellement_remplie"  # usage met by some ESMS, and the targets file allows a pro-rata release

ACQ, CONF, NO_DUI, SONS, EQUIP = "acquisition", "mise_en_conformite", "sans_dui", "usage_sons", "equipement"
SUPPORT = ("amoa", "pilotage")


@dataclass
class Reason:
    rule: str
    status: str
    message: str
    source: str = ""
    citations: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "regle": self.rule,
            "titre": fr.RULES[self.rule],
            "statut": self.status,
            "statut_libelle": fr.STATUSES[self.status],
            "message": self.message,
            "source": self.source,
            "citations": self.citations,
        }


@dataclass
class Condition:
    """A payment condition: convention, invoices, conformity (readiness report), usage targets."""

    id: str
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "libelle": fr.CONDITIONS[self.id], "statut": self.status, "message": self.message}


@dataclass
class Part:
    kind: str  # acquisition | mise_en_conformite | sans_dui | usage_sons | equipement | amoa | pilotage
    granted: bool = True
    amount: int | None = 0  # None: the amount is a parameter nobody filled in
    reason: str | None = None
    choice: bool = False  # within the cap, funded only if the ARS chooses this ESMS

    def refuse(self, reason: str) -> None:
        if self.granted:
            self.granted, self.reason = False, reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.kind,
            "libelle": fr.PARTS[self.kind],
            "accordee": self.granted,
            "montant": self.amount,
            "motif": self.reason,
            "choix_ars": self.choice,
        }


@dataclass
class Esms:
    og: int
    data: dict[str, Any]
    solution: dict[str, Any]
    dui: Part
    equipment: Part | None
    region: str | None = None
    territory: str | None = None
    usage: Condition | None = None

    @property
    def finess(self) -> str:
        return self.data["finess"]

    @property
    def label(self) -> str:
        return f"{self.data['nom']} ({self.finess})"

    @property
    def parts(self) -> list[Part]:
        return [self.dui] + ([self.equipment] if self.equipment else [])

    @property
    def amount(self) -> int | None:
        """What this ESMS receives if funded (within the cap: if the ARS chooses it); None when a parameter is unset."""
        return _sum(p.amount for p in self.parts if p.granted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "finess": self.finess,
            "nom": self.data["nom"],
            "categorie": self.data["categorie"],
            "region": self.region,
            "territoire": self.territory,
            "montant": self.amount,
            "parts": [p.to_dict() for p in self.parts],
            "usage": self.usage.to_dict() if self.usage else None,
        }


def _sum(amounts: Iterable[int | None]) -> int | None:
    values = list(amounts)
    return None if None in values else sum(v for v in values if v is not None)


def _project_range(esms: list[Esms], support: list[Part], capacity: int | None) -> tuple[int | None, int | None]:
    """Least and most the project receives: only ``capacity`` DUI lines are paid when set, the ARS choosing which.

    (None, None) while an amount is a parameter nobody filled in.
    """
    dui = [e.dui.amount for e in esms if e.dui.granted]
    others = [e.equipment.amount for e in esms if e.equipment and e.equipment.granted]
    others += [p.amount for p in support if p.granted]
    known = sorted(a for a in dui if a is not None)
    fixed = [a for a in others if a is not None]
    if len(known) < len(dui) or len(fixed) < len(others):
        return None, None
    funded = capacity or len(known)
    return sum(known[:funded]) + sum(fixed), sum(known[len(known) - funded :]) + sum(fixed)


@dataclass
class FundingResult:
    cluster: dict[str, Any]
    source: str
    ruleset: RuleSet
    esms: list[Esms]
    reasons: list[Reason]
    support: list[Part] = field(default_factory=list)  # AMOA, pilotage (project level)
    small: dict[int, bool] = field(default_factory=dict)  # OG index -> small, derived from its ESMS count
    sizes: dict[int, int] = field(default_factory=dict)  # OG index -> ESMS it manages
    region: str | None = None  # where most ESMS are, from their FINESS: the regional rules applied
    instructing: str | None = None
    period: dict[str, Any] | None = None  # the call period the filing date falls in
    year: int | None = None
    capacity: int | None = None  # DUI lines funded when the cluster exceeds the cap
    parameters: list[Parameter] = field(default_factory=list)  # the parameters this evaluation read
    exempt: set[str] = field(default_factory=set)  # FINESS exempted from some usage targets
    regions: list[dict[str, Any]] = field(default_factory=list)
    tranches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not any(r.status == KO for r in self.reasons)

    @property
    def funded(self) -> list[Esms]:
        return [e for e in self.esms if e.dui.granted]

    @property
    def amount_range(self) -> tuple[int | None, int | None]:
        return _project_range(self.esms, self.support, self.capacity)

    @property
    def computed(self) -> int | None:
        """The project's amount, or None when it is a range (the ARS's choice) or a parameter is unset."""
        low, high = self.amount_range
        return low if low == high else None

    @property
    def total(self) -> int | None:
        return self.computed if self.eligible else 0

    @property
    def name(self) -> str:
        return self.cluster.get("nom") or self.source

    def to_dict(self) -> dict[str, Any]:
        organisations = []
        for index, og in enumerate(self.cluster["organismes"]):
            mine = [e for e in self.esms if e.og == index]
            organisations.append(
                {
                    "nom": og["nom"],
                    "porteur": bool(og.get("porteur")),
                    "petit": self.small.get(index),
                    "esms_geres": self.sizes.get(index),
                    "montant": _sum(e.amount for e in mine),
                    "esms": [e.to_dict() for e in mine],
                }
            )
        low, high = self.amount_range
        return {
            "campagne": {"id": self.ruleset.id, "version": self.ruleset.version, "titre": self.ruleset.title},
            "grappe": {
                "nom": self.name,
                "fichier": self.source,
                "campagne_declaree": self.cluster["campagne"],
                "type_projet": self.cluster["type_projet"],
                "territoire": self.cluster["territoire"],
                "solution": self.cluster["solution"],
            },
            "eligible": self.eligible,
            "raisons": [r.to_dict() for r in self.reasons],
            "montant_total": self.total,
            "montant_calcule": self.computed,
            "fourchette": {"min": low, "max": high} if self.capacity and low != high else None,
            "parametres": [p.to_dict() for p in self.parameters],
            "detail": {
                "organismes": organisations,
                "accompagnement": [p.to_dict() for p in self.support],
                "region": self.region,
                "regions": self.regions,
                "ars_instructrice": self.instructing,
                "periode": self.period["nom"] if self.period else None,
                "plafond": {"esms_retenus": len(self.funded), "esms_finances": self.capacity}
                if self.capacity
                else None,
            },
            "tranches": self.tranches,
        }


def _names(cases: list[Esms], limit: int = 5) -> str:
    labels = sorted(e.label for e in cases)
    shown = ", ".join(labels[:limit])
    return shown + (f" et {len(labels) - limit} autre(s)" if len(labels) > limit else "")


def _solution_key(solution: dict[str, Any]) -> tuple[str, str, str]:
    return (solution["editeur"].strip().casefold(), solution["nom"].strip().casefold(), solution["version"].strip())


def _solution_label(solution: dict[str, Any]) -> str:
    return f"{solution['nom']} {solution['version']} ({solution['editeur']})"


def _facts(case: Esms) -> tuple[int, str]:
    """What an entry says besides its name: two entries of one FINESS that agree on it are one ESMS."""
    return case.og, json.dumps({k: v for k, v in case.data.items() if k != "nom"}, sort_keys=True)


class _Evaluation:
    """One pass over a validated cluster; each ``_rule_*`` method adds its reason."""

    def __init__(self, cluster: dict[str, Any], ruleset: RuleSet):
        self.cluster = cluster
        self.rules = ruleset
        self.type = cluster["type_projet"]
        self.reasons: list[Reason] = []
        self.support: list[Part] = []
        self.region: str | None = None
        self.instructing: str | None = None
        self.territory: str = cluster["territoire"]  # the thresholds' territory, once the FINESS are read
        self.periods: list[dict[str, Any]] = []  # call periods the filing may belong to
        self.period: dict[str, Any] | None = None
        filed = cluster.get("dates", {}).get("depot")
        self.year: int | None = int(filed[:4]) if filed else None
        self.small: dict[int, bool] = {}
        self.sizes: dict[int, int] = {}
        self.small_below = 0  # an OG is small below this many ESMS (rule « petit_og »)
        self.capacity: int | None = None
        self.used: dict[str, Parameter] = {}
        self.exempt: set[str] = set()
        self.esms: list[Esms] = []
        for og_index, og in enumerate(cluster["organismes"]):
            for data in og["esms"]:
                kind = NO_DUI if self.type == CONF and data["sans_dui"] else self.type
                case = Esms(
                    og_index,
                    data,
                    data.get("solution") or cluster["solution"],
                    Part(kind),
                    Part(EQUIP) if data["equipement"] else None,
                )
                # the FINESS decides the region; a declared one only fills in a département the table lacks
                case.region = region_of(case.finess) or data.get("region")
                self.esms.append(case)

    def rule(self, name: str) -> dict[str, Any] | None:
        return self.rules.rule(name, self.region)

    def add(self, rule: str, status: str, message: str, citations: list[dict[str, str]] | None = None) -> None:
        if citations is None:
            citations = (self.rule(rule) or {}).get("citations", [])
        self.reasons.append(Reason(rule, status, message, self.rules.cite(citations), self.rules.citations(citations)))

    def value(self, name: str) -> float | None:
        """An amount or threshold; a parameter read here is listed in the output, filled in or not."""
        if name in self.rules.parameters:
            self.used[name] = self.rules.parameters[name]
        return self.rules.value(name)

    def whole(self, name: str) -> int | None:
        """An amount in euros, or a count."""
        value = self.value(name)
        return None if value is None else int(value)

    def og(self, case: Esms) -> dict[str, Any]:
        return self.cluster["organismes"][case.og]

    @property
    def kept(self) -> list[Esms]:
        return [e for e in self.esms if e.dui.granted]

    def run(self) -> None:
        # ESMS rules first: they decide which ESMS count for the project rules (base rules: the
        # region, which picks regional variants, is read from the ESMS they keep).
        for name in ("finess", "esms_eligibles", "editeur_deja_contractualise", "bon_commande_sons"):
            self._apply(name)
        self._locate()
        self._apply("petit_og")
        self._apply("equipement")  # after the DUI parts: equipment never comes alone
        for name in (
            "territoire",
            "calendrier",
            "taille_grappe",
            "appel",
            "porteur",
            "solution_unique",
            "nature_projet",
            "champ",
            "services_socles",
            "referencement",
            "multiregional",
            "echeancier",
            "exemption_usage",
        ):
            self._apply(name)
        self._price()
        self._apply("accompagnement")
        self._cap()
        self._unset_amounts()

    def _apply(self, name: str) -> None:
        params = self.rule(name)
        if params is None:
            self.reasons.append(Reason(name, NA, f"règle absente du jeu « {self.rules.title} » : non appliquée"))
            return
        getattr(self, f"_rule_{name}")(params)

    def _locate(self) -> None:
        """The cluster's region: where most of its kept ESMS are, by FINESS (none on a tie)."""
        counts = Counter(e.region for e in self.kept if e.region)
        top = counts.most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            self.region = top[0][0]

    # --- ESMS rules -------------------------------------------------------------------------------------

    def _rule_finess(self, params: dict[str, Any]) -> None:
        problems: list[str] = []
        by_number: dict[str, list[Esms]] = {}
        for case in self.esms:
            problem = finess_problem(case.finess, params["motif"], params["cle"])
            if problem:
                case.dui.refuse(problem)
                problems.append(f"{case.data['nom']} : {problem}")
            else:
                by_number.setdefault(case.finess, []).append(case)
        for number, cases in sorted(by_number.items()):
            if len(cases) < 2:
                continue
            if len({_facts(c) for c in cases}) == 1:  # the same ESMS twice: counted once, under its first name
                keep = min(cases, key=lambda c: c.data["nom"])
                for case in cases:
                    if case is not keep:
                        case.dui.refuse(f"FINESS {number} déjà déclaré pour {keep.data['nom']}")
                        problems.append(f"{case.data['nom']} : FINESS {number} déjà déclaré pour {keep.data['nom']}")
            else:
                for case in cases:
                    case.dui.refuse(f"FINESS {number} déclaré plusieurs fois avec des données différentes")
                problems.append(
                    f"FINESS {number} déclaré {len(cases)} fois avec des données différentes "
                    f"({', '.join(sorted(c.data['nom'] for c in cases))}) : aucune de ces lignes n'est comptée "
                    "avant correction"
                )
        if problems:
            self.add("finess", PARTIAL, "FINESS invalide ou en double : " + " ; ".join(problems) + ".")
        else:
            key = " et clé de Luhn" if params["cle"] == "luhn" else ""
            self.add("finess", OK, f"{len(self.esms)} FINESS bien formés (format{key}), sans doublon.")

    def _rule_esms_eligibles(self, params: dict[str, Any]) -> None:
        excluded = {c.casefold() for c in params["categories_exclues"]}
        refused = [e for e in self.kept if e.data["categorie"].casefold() in excluded]
        for case in refused:
            case.dui.refuse(f"catégorie {case.data['categorie']} exclue du programme")
        if refused:
            self.add(
                "esms_eligibles",
                PARTIAL,
                f"{len(refused)} ESMS d'une catégorie exclue ({', '.join(params['categories_exclues'])}), "
                f"non financé(s) : {_names(refused)}.",
            )
        else:
            self.add(
                "esms_eligibles",
                OK,
                f"aucun ESMS d'une catégorie exclue ({', '.join(params['categories_exclues'])}).",
            )

    def _rule_editeur_deja_contractualise(self, params: dict[str, Any]) -> None:
        if self.type != ACQ:
            self.add(
                "editeur_deja_contractualise", NA, "projet de mise en conformité : la règle ne vise que l'acquisition."
            )
            return
        signed = [e for e in self.esms if e.data.get("contrat_editeur_signe")]
        for case in signed:
            case.dui.refuse("contrat déjà signé avec un éditeur : l'acquisition exige une mise en concurrence")
        if signed:
            self.add(
                "editeur_deja_contractualise",
                PARTIAL,
                f"acquisition refusée pour {_names(signed)} : contrat déjà signé avec un éditeur, "
                "alors que l'acquisition exige une mise en concurrence des éditeurs référencés.",
            )
        else:
            self.add("editeur_deja_contractualise", OK, "aucun ESMS n'a déjà contractualisé avec un éditeur.")

    def _rule_bon_commande_sons(self, params: dict[str, Any]) -> None:
        sons = [e for e in self.esms if e.data.get("bon_commande_sons")]
        if not sons:
            self.add("bon_commande_sons", NA, "aucun ESMS ne déclare de bon de commande SONS.")
            return
        if self.type == ACQ:
            for case in sons:
                case.dui.refuse(
                    "bon de commande SONS signé : éditeur déjà retenu, l'acquisition exige une mise en concurrence"
                )
            self.add(
                "bon_commande_sons",
                PARTIAL,
                f"acquisition refusée pour {_names(sons)} : un bon de commande SONS signé vaut contrat avec un "
                "éditeur ; un bon SONS n'est admis que dans un projet de mise en conformité.",
            )
            return
        doubts = []
        for case in sons:
            case.dui.kind = SONS  # the State pays the vendor: the ESMS's grant is the usage-linked one
            if "SEGUR" not in case.solution.get("referencement", []):
                doubts.append(
                    f"{case.label} : bon valide seulement une fois le référencement Ségur obtenu, "
                    f"non déclaré pour {_solution_label(case.solution)}"
                )
            ordered = case.data.get("date_commande_sons")
            if ordered and ordered > params["commande_avant"]:
                limit = fr.date_fr(params["commande_avant"])
                doubts.append(f"{case.label} : commande SONS du {fr.date_fr(ordered)}, après le {limit}")
            deployed = case.data.get("date_deploiement_sons")
            if deployed and deployed > params["deploiement_avant"]:
                other = params.get("deploiement_avant_autre_source")
                doubts.append(
                    f"{case.label} : mise à jour SONS du {fr.date_fr(deployed)}, après le "
                    f"{fr.date_fr(params['deploiement_avant'])}"
                    + (
                        f" ; le même document donne aussi une autre limite, les sources divergent : "
                        f"{self.rules.cite(params['citations_deploiement'])}"
                        if other and deployed <= other
                        else ""
                    )
                )
        if doubts:
            self.add(
                "bon_commande_sons",
                CHECK,
                "ESMS avec bon SONS admis en mise en conformité, mais : " + " ; ".join(doubts) + ".",
            )
        else:
            self.add(
                "bon_commande_sons",
                OK,
                f"{len(sons)} ESMS avec bon de commande SONS, admis en mise en conformité : "
                "leur financement est celui « lié aux usages ».",
            )

    # --- organisations ----------------------------------------------------------------------------------

    def _rule_petit_og(self, params: dict[str, Any]) -> None:
        limit = self.small_below = params["moins_de_esms"]
        notes, sizes = [], []
        for index, og in enumerate(self.cluster["organismes"]):
            listed = len({e["finess"] for e in og["esms"]})
            managed = og.get("esms_geres")
            size = max(listed, managed or 0)
            small = size < limit
            self.small[index], self.sizes[index] = small, size
            sizes.append(f"{og['nom']} {size} ESMS ({'petit' if small else 'non petit'})")
            if managed is not None and managed < listed:
                notes.append(f"{og['nom']} déclare gérer {managed} ESMS mais en inscrit {listed} dans la grappe")
            if "petit" in og and og["petit"] != small:
                notes.append(
                    f"{og['nom']} se déclare {'petit' if og['petit'] else 'non petit'}, mais compte {size} ESMS : "
                    f"{'petit' if small else 'non petit'} d'après ce nombre"
                    + (" (s'il gère d'autres ESMS hors de la grappe, en donner le nombre)" if small else "")
                )
        asked = any(e.equipment for e in self.esms) or any(self.cluster.get("accompagnement", {}).values())
        counted = f"petite taille : moins de {limit} ESMS gérés ; " + ", ".join(sizes)
        if not asked:
            self.add("petit_og", NA, f"ni équipement ni accompagnement demandés ({counted}).")
        elif notes:
            self.add("petit_og", CHECK, " ; ".join(notes) + f" — {counted}.")
        else:
            self.add("petit_og", OK, counted + ".")

    def _rule_equipement(self, params: dict[str, Any]) -> None:
        asked = [(e, e.equipment) for e in self.esms if e.equipment]
        if not asked:
            self.add("equipement", NA, "aucun équipement demandé.")
            return
        for case, equipment in asked:
            og = self.og(case)
            if not self.small[case.og]:
                equipment.refuse(
                    f"{og['nom']} n'est pas un organisme gestionnaire de petite taille "
                    f"({self.sizes[case.og]} ESMS, petit : moins de {self.small_below})"
                )
            elif self.type not in params["projets"]:
                equipment.refuse(f"équipement non prévu pour un projet de {fr.PARTS[self.type]}")
            elif not case.dui.granted:
                equipment.refuse("l'équipement ne vient jamais seul : la part DUI de cet ESMS est refusée")
        refused = sorted(((e, p) for e, p in asked if not p.granted), key=lambda ep: ep[0].label)
        if refused:
            self.add(
                "equipement",
                PARTIAL,
                f"équipement refusé pour {len(refused)} ESMS sur {len(asked)} demandés : "
                + " ; ".join(f"{e.label} : {p.reason}" for e, p in refused[:5])
                + (" ; …" if len(refused) > 5 else "")
                + ". Leur part DUI n'en dépend pas.",
            )
        else:
            self.add(
                "equipement", OK, f"équipement accordé à {len(asked)} ESMS d'organismes gestionnaires de petite taille."
            )

    # --- project rules ----------------------------------------------------------------------------------

    def _rule_territoire(self, params: dict[str, Any]) -> None:
        for case in self.esms:
            dept = department(case.finess)
            overseas = any(dept.startswith(p) for p in params["outre_mer"])
            case.territory = "outre_mer" if overseas else ("corse" if dept in params["corse"] else "metropole")
        found = Counter(e.territory or "" for e in self.kept)
        declared = self.cluster["territoire"]
        if not found:
            self.add("territoire", NA, "aucun ESMS retenu.")
            return
        spread = ", ".join(f"{fr.territory(t)} {n}" for t, n in sorted(found.items()))
        if set(found) == {declared}:
            self.add(
                "territoire", OK, f"les {len(self.kept)} ESMS sont en {fr.territory(declared)} d'après leur FINESS."
            )
        elif len(found) == 1:
            self.territory = next(iter(found))
            self.add(
                "territoire",
                KO,
                f"territoire déclaré : {fr.territory(declared)} ; les FINESS des {len(self.kept)} ESMS sont en "
                f"{fr.territory(self.territory)} : les seuils de ce territoire s'appliquent.",
            )
        else:
            self.territory = "metropole" if "metropole" in found else min(found)
            self.add(
                "territoire",
                CHECK,
                f"ESMS sur plusieurs territoires d'après leur FINESS ({spread}) : le seuil le plus exigeant "
                f"({fr.territory(self.territory)}) est appliqué ; l'ARS apprécie.",
            )

    @staticmethod
    def _window(period: dict[str, Any]) -> str:
        return f"{period['nom']} : du {fr.date_fr(period['depot_debut'])} au {fr.date_fr(period['depot_fin'])}" + (
            " (fin indicative)" if period.get("fin_indicative") else ""
        )

    def _rule_calendrier(self, params: dict[str, Any]) -> None:
        periods = params["periodes"]
        dates = self.cluster.get("dates", {})
        filed, signed = dates.get("depot"), dates.get("convention")
        windows = " ; ".join(self._window(p) for p in periods)
        self.periods = periods
        if filed is None:
            self.add("calendrier", CHECK, f"date de dépôt non déclarée : à vérifier ({windows}).")
            return
        inside = [p for p in periods if p["depot_debut"] <= filed <= p["depot_fin"]]
        # after an end the sources only estimate (« trois mois et demi »), the same year: the regional call decides
        late = [
            p for p in periods if p.get("fin_indicative") and p["depot_fin"] < filed and filed[:4] == p["depot_fin"][:4]
        ]
        if not inside and not late:
            self.add("calendrier", KO, f"dépôt le {fr.date_fr(filed)}, hors des périodes de candidature ({windows}).")
            return
        self.period = (inside or late)[0]
        self.periods = [self.period]
        limit = self.period.get("convention_avant")
        citations = self.period["citations"]
        if signed and limit and signed > limit:
            self.add(
                "calendrier",
                KO,
                f"convention signée le {fr.date_fr(signed)}, après la limite du {fr.date_fr(limit)} "
                f"({self.period['nom']}).",
                citations,
            )
        elif inside:
            self.add("calendrier", OK, f"dépôt le {fr.date_fr(filed)}, {self._window(self.period)}.", citations)
        else:
            self.add(
                "calendrier",
                CHECK,
                f"dépôt le {fr.date_fr(filed)}, après la fin indicative du {self._window(self.period)} : "
                "la date de clôture est celle de l'appel régional, à vérifier.",
                citations,
            )

    def _size(self, params: dict[str, Any]) -> tuple[str, str]:
        kept = self.kept
        where = self.territory
        min_og, min_esms = params["min_og"][where], params["min_esms"][where]
        per_og = Counter(e.og for e in kept)
        counted = f"{len(kept)} ESMS retenus, {len(per_og)} organisme(s) gestionnaire(s)"
        expected = f"au moins {min_esms} ESMS" + (f" et {min_og} organismes gestionnaires" if min_og > 1 else "")
        expected += f" ({fr.territory(where)})"
        alone = params.get("og_seul_min_esms")
        big = sorted(
            (self.cluster["organismes"][i]["nom"], n) for i, n in per_og.items() if alone is not None and n >= alone
        )
        if len(per_og) >= min_og and len(kept) >= min_esms:
            return OK, f"{counted} : {expected}, atteint."
        if big:
            return OK, f"{counted} : {big[0][0]} compte {big[0][1]} ESMS, au moins {alone}, et peut candidater seul."
        expected += f", ou un organisme gestionnaire d'au moins {alone} ESMS" if alone else ""
        if params.get("idealement"):
            return CHECK, f"{counted} ; seuil indiqué comme idéal : {expected} — à l'appréciation de l'ARS."
        return KO, f"{counted} ; attendu : {expected}."

    def _rule_taille_grappe(self, params: dict[str, Any]) -> None:
        # The size rule of each call period the filing may belong to (all of them while its date is unknown).
        candidates = [(p["nom"], p.get("taille_grappe") or params) for p in self.periods] or [("", params)]
        verdicts = [(name, *self._size(rule)) for name, rule in candidates]
        citations: list[dict[str, str]] = []
        for _, rule in candidates:
            citations += [c for c in rule["citations"] if c not in citations]
        statuses = {status for _, status, _ in verdicts}
        if len(statuses) == 1:
            self.add("taille_grappe", verdicts[0][1], verdicts[0][2], citations)
        else:
            self.add(
                "taille_grappe",
                CHECK,
                "la période de dépôt n'est pas connue et la taille ne se juge pas de même : "
                + " ; ".join(f"{name} : {message}" for name, _, message in verdicts),
                citations,
            )

    def _rule_appel(self, params: dict[str, Any]) -> None:
        count = len(self.kept)
        first = params["national_a_partir_de"]
        other = params.get("national_a_partir_de_autre_source", first)
        call = "national" if count >= max(first, other) else ("regional" if count < min(first, other) else None)
        declared = self.cluster.get("appel")
        if call is None:
            self.add(
                "appel",
                CHECK,
                f"{count} ESMS : appel national à partir de {first} ESMS selon une source, de {other} selon "
                "l'autre ; les sources divergent pour ce nombre, appel à vérifier.",
            )
        elif declared and declared != call:
            self.add(
                "appel",
                KO,
                f"candidature à l'{fr.CALLS[declared]} ; avec {count} ESMS, elle relève de l'{fr.CALLS[call]}.",
            )
        else:
            self.add("appel", OK, f"{count} ESMS : {fr.CALLS[call]}.")

    def _rule_porteur(self, params: dict[str, Any]) -> None:
        organisations = self.cluster["organismes"]
        holders = sorted(og["nom"] for og in organisations if og.get("porteur"))
        if len(holders) == 1:
            self.add("porteur", OK, f"porteur du projet : {holders[0]}.")
        elif len(holders) > 1:
            self.add(
                "porteur",
                KO,
                f"{len(holders)} organismes se déclarent porteurs ({', '.join(holders)}) ; attendu : un seul.",
            )
        elif len(organisations) == 1:
            self.add("porteur", OK, f"organisme gestionnaire unique, porteur du projet : {organisations[0]['nom']}.")
        else:
            self.add(
                "porteur",
                CHECK,
                f"aucun des {len(organisations)} organismes gestionnaires n'est désigné porteur dans le fichier : "
                "une grappe a un seul porteur, à déclarer.",
            )

    def _rule_solution_unique(self, params: dict[str, Any]) -> None:
        groups: dict[tuple[str, str, str], list[Esms]] = {}
        for case in self.kept:
            groups.setdefault(_solution_key(case.solution), []).append(case)
        if len(groups) <= 1:
            only = next(iter(groups.values()))[0].solution if groups else self.cluster["solution"]
            self.add("solution_unique", OK, f"une seule solution pour tous les ESMS : {_solution_label(only)}.")
            return
        detail = " ; ".join(
            f"{_solution_label(cases[0].solution)} : {len(cases)} ESMS ({_names(cases, 3)})"
            for cases in sorted(groups.values(), key=lambda g: (-len(g), _solution_label(g[0].solution)))
        )
        self.add(
            "solution_unique",
            KO,
            f"{len(groups)} solutions ou versions dans le projet ({detail}) ; "
            "attendu : le même logiciel dans la même version pour tous les ESMS.",
        )

    def _rule_nature_projet(self, params: dict[str, Any]) -> None:
        kept = self.kept
        without = [e for e in kept if e.data["sans_dui"]]
        limit = fr.pct(params["part_max_sans_dui"])
        if self.type == ACQ:
            self.add("nature_projet", OK, f"projet d'acquisition pour {len(kept)} ESMS.")
        elif not kept or len(without) / len(kept) < params["part_max_sans_dui"]:
            self.add(
                "nature_projet",
                OK,
                f"mise en conformité : {len(without)} ESMS sans DUI sur {len(kept)}, moins de {limit}.",
            )
        else:
            self.add(
                "nature_projet",
                KO,
                f"mise en conformité avec {len(without)} ESMS sans DUI sur {len(kept)} : ils doivent rester "
                f"minoritaires (moins de {limit}) ; sinon le projet mélange acquisition et mise en conformité.",
            )

    def _rule_champ(self, params: dict[str, Any]) -> None:
        kept = self.kept
        counts = Counter(e.data["categorie"] for e in kept)
        if not counts:
            self.add("champ", NA, "aucun ESMS retenu.")
            return
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        dominant, count = ranked[0]
        share = count / len(kept)
        threshold = self.value("part_min_champ_dominant")
        notes = []
        if threshold is None:
            notes.append("part minimale du champ dominant non renseignée (paramètre)")
        elif share < threshold:
            notes.append(
                f"champ le plus représenté : {fr.field(dominant)}, {count} ESMS sur {len(kept)} ({fr.pct(share)}), "
                f"moins de {fr.pct(threshold)} : les autres champs sont-ils « quelques ESMS » ?"
            )
        others = [(c, n) for c, n in ranked if c not in params["champs_prioritaires"]]
        if others:
            notes.append("champs hors priorité : " + ", ".join(f"{c} ({n})" for c, n in others))
        spread = ", ".join(f"{fr.field(c)} {n}" for c, n in ranked)
        if notes:
            self.add("champ", CHECK, f"répartition {spread} : " + " ; ".join(notes) + " — à apprécier par l'ARS.")
        else:
            self.add("champ", OK, f"projet à dominante {fr.field(dominant)} ({spread}).")

    def _rule_services_socles(self, params: dict[str, Any]) -> None:
        declared = self.cluster["services_socles"]
        counted = [s for s in declared if s in params["comptes"]]
        missing = [s for s in params["obligatoires"] if s not in declared]
        regional = f" (règle régionale : {params['region']})" if "region" in params else ""
        problems = []
        if len(counted) < params["minimum"]:
            problems.append(
                f"{len(counted)} service(s) socle(s) compté(s) ({fr.services(counted)}), au moins "
                f"{params['minimum']} attendus parmi {fr.services(params['comptes'])}"
            )
        if missing:
            problems.append(f"obligatoire(s){regional} : {fr.services(missing)}")
        if problems:
            self.add("services_socles", KO, " ; ".join(problems) + ".")
            return
        ignored = [s for s in declared if s not in params["comptes"]]
        note = f" ({fr.services(ignored)} déclaré, non compté parmi les services socles de la règle)" if ignored else ""
        mandatory = f" ; {fr.services(params['obligatoires'])} obligatoires{regional}" if params["obligatoires"] else ""
        self.add("services_socles", OK, f"interopérabilité avec {fr.services(counted)}{note}{mandatory}.")

    def _rule_referencement(self, params: dict[str, Any]) -> None:
        solution = self.cluster["solution"]
        labels = [r for r in params["admis"] if r in solution.get("referencement", [])]
        named = " et ".join(fr.LABELS[r] for r in labels)
        wanted = " et ".join(fr.LABELS[r] for r in params["admis"])
        if self.type == ACQ:
            if len(labels) == len(params["admis"]):
                self.add("referencement", OK, f"{_solution_label(solution)} référencée ({named}).")
            elif labels:
                self.add(
                    "referencement",
                    CHECK,
                    f"{_solution_label(solution)} n'est référencée que {named} : pour une acquisition, les sources "
                    f"citées ne demandent pas le même référencement ({wanted}) — à vérifier.",
                )
            else:
                self.add(
                    "referencement",
                    KO,
                    f"{_solution_label(solution)} n'est pas référencée ({wanted}) : une acquisition passe par la "
                    "mise en concurrence d'éditeurs référencés.",
                )
            self.add("derogation", NA, "la dérogation ne vaut que pour une mise en conformité.")
            return
        if labels:
            self.add("referencement", OK, f"{_solution_label(solution)} référencée ({named}).")
            self.add("derogation", NA, "solution référencée : pas de dérogation nécessaire.")
            return
        self.add(
            "referencement",
            CHECK,
            f"{_solution_label(solution)} n'est pas déclarée référencée : admise seulement par dérogation.",
        )
        self._apply("derogation")

    def _rule_derogation(self, params: dict[str, Any]) -> None:
        derogation = self.cluster.get("derogation")
        if not derogation:
            self.add(
                "derogation", KO, "solution non référencée sans dérogation demandée (champ et engagement de l'éditeur)."
            )
            return
        field_cases = [e for e in self.kept if e.data["categorie"] == derogation["champ"]]
        problems = []
        if not derogation["engagement_editeur"]:
            problems.append("l'éditeur ne s'engage pas à atteindre les exigences nationales dans la phase d'amorçage")
        if not field_cases:
            problems.append(f"aucun ESMS du champ {fr.field(derogation['champ'])} dans le projet")
        elif any(e.data["sans_dui"] for e in field_cases):
            problems.append(
                f"la solution n'est pas déployée dans tous les ESMS du champ {fr.field(derogation['champ'])} "
                f"({_names([e for e in field_cases if e.data['sans_dui']], 3)} sans DUI)"
            )
        if problems:
            self.add("derogation", KO, "dérogation non admise : " + " ; ".join(problems) + ".")
        else:
            self.add(
                "derogation",
                OK,
                f"dérogation : solution déployée dans les {len(field_cases)} ESMS du champ "
                f"{fr.field(derogation['champ'])} du projet, éditeur engagé (déclaratif, à confirmer par l'ARS).",
            )

    def _rule_multiregional(self, params: dict[str, Any]) -> None:
        regions = known_regions()
        kept = self.kept
        unknown = [e for e in kept if e.region not in regions]
        contrary = [e for e in kept if e.data.get("region") not in (None, region_of(e.finess)) and region_of(e.finess)]
        counts = Counter(e.region for e in kept if e.region in regions)
        spread = ", ".join(f"{r} {n}" for r, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        problems = []
        if unknown:
            problems.append(f"région inconnue pour {_names(unknown, 3)} (la renseigner dans le fichier)")
        if contrary:
            problems.append(
                f"région déclarée contraire au FINESS pour {_names(contrary, 3)} : celle du FINESS est retenue"
            )
        if len(counts) > 1 and self.region is None:
            problems.append("deux régions à égalité d'ESMS : ARS instructrice à désigner")
        holders = [og for og in self.cluster["organismes"] if og.get("porteur")]
        seat = holders[0].get("region_siege") if len(holders) == 1 else None
        mode = params["instruction"]
        if mode == "siege_porteur":
            how = "ARS du siège du porteur"
            self.instructing = seat if seat in regions else None
            if self.instructing is None:
                problems.append("porteur (un seul organisme) et la région de son siège à déclarer")
        else:
            how = "ARS de la région qui compte le plus d'ESMS"
            self.instructing = self.region
            if mode == "les_deux" and seat is not None and seat != self.region:
                problems.append(
                    f"les sources divergent : ARS du siège du porteur ({seat}) ou ARS de la région qui compte le "
                    f"plus d'ESMS ({self.region or 'à égalité'})"
                )
                self.instructing = None
        if problems:
            self.add("multiregional", CHECK, f"ESMS par région : {spread or 'aucune'} ; " + " ; ".join(problems) + ".")
        elif len(counts) > 1:
            self.add(
                "multiregional",
                OK,
                f"projet multirégional ({spread}) : dotation répartie selon le nombre d'ESMS par région ; "
                f"{how} : {self.instructing}.",
            )
        else:
            self.add("multiregional", OK, f"projet régional ({spread}) ; {how} : {self.instructing}.")

    def _rule_echeancier(self, params: dict[str, Any]) -> None:
        split = " / ".join(fr.pct(t["part"] / 100) for t in self.rules.tranches)
        years = ", ".join(map(str, params["annees"]))
        if self.year is None:
            self.add(
                "echeancier",
                CHECK,
                f"année de dépôt non déclarée : échéancier {split} des sources ({years}), à vérifier.",
            )
        elif self.year in params["annees"]:
            self.add("echeancier", OK, f"dépôt en {self.year} : échéancier {split}.")
        else:
            self.add(
                "echeancier",
                CHECK,
                f"dépôt en {self.year} : les sources donnent l'échéancier {split} pour {years} ; "
                f"celui de {self.year} est à vérifier auprès de l'ARS.",
            )

    def _rule_exemption_usage(self, params: dict[str, Any]) -> None:
        category = params["categorie"]
        concerned = sorted(
            (e for e in self.kept if e.data["categorie"].casefold() == category.casefold()), key=lambda e: e.label
        )
        years = ", ".join(map(str, params["annees"]))
        if not concerned:
            self.add("exemption_usage", NA, f"aucun ESMS de la catégorie {category}.")
        elif self.year is None:
            self.add(
                "exemption_usage",
                CHECK,
                f"année de dépôt non déclarée : l'exemption de {years} ne peut être décidée pour "
                f"{len(concerned)} ESMS {category}.",
            )
        elif self.year not in params["annees"]:
            self.add("exemption_usage", NA, f"dépôt en {self.year} : l'exemption ne vaut que pour {years}.")
        else:
            exempt = [e for e in concerned if e.data.get("eligible_sons") is False]
            undeclared = [e for e in concerned if "eligible_sons" not in e.data]
            self.exempt = {e.finess for e in exempt}
            message = (
                f"{len(exempt)} ESMS {category} non éligible(s) au SONS, sans cibles d'usage "
                f"{params['cibles_exemptees']} ; {len(concerned) - len(exempt) - len(undeclared)} éligible(s)"
            )
            if undeclared:
                self.add(
                    "exemption_usage",
                    CHECK,
                    message + f" ; éligibilité au SONS non déclarée pour {_names(undeclared)} : à vérifier.",
                )
            else:
                self.add("exemption_usage", OK, message + ".")

    # --- amounts ----------------------------------------------------------------------------------------

    def _price(self) -> None:
        for case in self.esms:
            for part in case.parts:
                part.amount = self.whole(part.kind) if part.granted else 0

    def _rule_accompagnement(self, params: dict[str, Any]) -> None:
        asked = [kind for kind in SUPPORT if self.cluster.get("accompagnement", {}).get(kind)]
        if not asked:
            self.add("accompagnement", NA, "ni AMOA ni pilotage demandés.")
            return
        big = [
            f"{og['nom']} ({self.sizes[i]} ESMS)"
            for i, og in enumerate(self.cluster["organismes"])
            if not self.small[i]
        ]
        for kind in asked:
            part = Part(kind)
            if not self.rules.defines(kind):
                part.refuse(f"aucun forfait « {fr.PARTS[kind]} » dans ce jeu de règles")
            elif big:
                part.refuse(
                    f"réservé aux grappes d'organismes gestionnaires de petite taille ; non petit(s) : {', '.join(big)}"
                )
            part.amount = self.whole(kind) if part.granted else 0
            self.support.append(part)
        refused = [p for p in self.support if not p.granted]
        if refused:
            self.add(
                "accompagnement",
                PARTIAL,
                " ; ".join(f"{fr.PARTS[p.kind]} refusé : {p.reason}" for p in refused) + ".",
            )
        else:
            self.add(
                "accompagnement",
                OK,
                " ; ".join(f"{fr.PARTS[p.kind]} : {fr.euros(p.amount)}" for p in self.support) + ".",
            )

    def _cap(self) -> None:
        """The cap bounds the acquisition / conformity lines only (not equipment); the ARS picks the ESMS."""
        if not self.rules.defines("plafond_esms"):
            self.reasons.append(Reason("plafond_esms", NA, "aucun plafond d'ESMS dans ce jeu de règles."))
            return
        cap = self.whole("plafond_esms")
        citations = self.rules.data.get("montants", {}).get("citations", [])[:1]
        source, quoted = self.rules.cite(citations), self.rules.citations(citations)
        kept = self.kept
        marked = sorted((e for e in kept if e.data.get("hors_plafond")), key=lambda e: e.label)
        if cap is None:
            self.reasons.append(
                Reason("plafond_esms", NA, "plafond non fixé par les sources : aucun plafond appliqué (paramètre).")
            )
            return
        line = f"la ligne {fr.PARTS[self.type]}"
        excess = len(kept) - cap
        if excess <= 0:
            status, message = OK, f"{len(kept)} ESMS financés, au plus {cap} par projet pour {line}."
            if marked:
                status = CHECK
                message += f" {_names(marked)} : marqué(s) hors du plafond alors qu'il n'est pas atteint, financé(s)."
        elif len(marked) == excess:  # the ARS's choice, recorded in the file
            for case in marked:
                case.dui.refuse(f"au-delà des {cap} ESMS financés par projet : hors du plafond, au choix de l'ARS")
            status = PARTIAL
            message = (
                f"{len(kept)} ESMS retenus, {cap} financés pour {line} : l'ARS laisse hors du plafond "
                f"{_names(marked)} ; l'équipement n'est pas plafonné."
            )
        else:
            self.capacity = cap
            for case in kept:
                case.dui.choice = True
            low, high = _project_range(self.esms, self.support, self.capacity)
            amount = (
                "montant non fixé (paramètre à renseigner)"
                if low is None
                else (f"montant : {fr.euros(low)}" if low == high else f"montant de {fr.euros(low)} à {fr.euros(high)}")
            )
            marks = f" ; {len(marked)} ESMS marqué(s) hors du plafond pour {excess} à laisser" if marked else ""
            status = CHECK
            message = (
                f"{len(kept)} ESMS retenus pour {cap} financés sur {line} : le choix des {cap} ESMS revient à "
                f"l'ARS (aucune source ne le fixe, l'ordre du fichier n'en décide pas){marks} ; l'équipement "
                f"n'est pas plafonné ; {amount}."
            )
        self.reasons.append(Reason("plafond_esms", status, message, source, quoted))

    def _unset_amounts(self) -> None:
        unset = sorted(p.label for p in self.used.values() if p.kind == "euros" and p.value is None)
        if unset:
            self.reasons.append(
                Reason(
                    "montants",
                    CHECK,
                    "montant non fixé par les sources : " + " ; ".join(unset) + " — à renseigner par l'ARS "
                    "(financement --parametres) ; le total n'est pas déterminé.",
                )
            )


def split_by_count(total: int, counts: dict[str, int]) -> dict[str, int]:
    """Split ``total`` euros by weights (largest remainder, ties by key), so that the parts add up exactly."""
    weight = sum(counts.values())
    if not weight:
        return {k: 0 for k in counts}
    exact = {k: total * n / weight for k, n in counts.items()}
    shares = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (shares[k] - exact[k], k))[: total - sum(shares.values())]:
        shares[k] += 1
    return shares


def assess(cluster: dict[str, Any], ruleset: RuleSet, source: str = "grappe") -> FundingResult:
    """Eligibility and amounts of a schema-valid cluster (tranches: :func:`.tranches.evaluate`)."""
    run = _Evaluation(cluster, ruleset)
    run.run()
    result = FundingResult(
        cluster,
        source,
        ruleset,
        run.esms,
        run.reasons,
        run.support,
        small=run.small,
        sizes=run.sizes,
        region=run.region,
        instructing=run.instructing,
        period=run.period,
        year=run.year,
        capacity=run.capacity,
        parameters=[run.used[name] for name in sorted(run.used)],
        exempt=run.exempt,
    )
    if result.eligible:
        counts = Counter(e.region for e in result.funded if e.region)
        total = result.total
        shares = split_by_count(total, dict(counts)) if total is not None else {r: None for r in counts}
        result.regions = [
            {"region": r, "esms": n, "montant": shares[r]}
            for r, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
    return result
