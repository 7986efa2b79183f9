"""Cluster eligibility, amounts and tranches under one campaign's rule set.

Each rule gives one reason (``regle``, ``statut``, ``message``, ``source``). A project rule that
fails makes the cluster not eligible; an ESMS rule that fails refuses that ESMS's part only
(``refus_partiel``), and the rest of the project keeps its grant — for example equipment asked
by a large OG is refused while its ESMS keep their acquisition forfait. Sizes are counted on the
ESMS whose DUI part is kept, so refusals can bring a cluster below a threshold, and the output
says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .finess import finess_problem, known_regions, region_of
from .rulesets import RuleSet

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

ACQ, CONF, EQUIP = "acquisition", "mise_en_conformite", "equipement"
PART_LABELS = {
    ACQ: "acquisition",
    CONF: "mise en conformité",
    EQUIP: "équipement",
    "amoa": "AMOA",
    "pilotage": "pilotage",
}
SERVICE_NAMES = {
    "DMP": "DMP",
    "MSS": "MSSanté",
    "EPRESCRIPTION": "e-prescription",
    "PSC": "Pro Santé Connect",
    "INS": "INS",
}


@dataclass
class Reason:
    rule: str
    status: str
    message: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"regle": self.rule, "statut": self.status, "message": self.message, "source": self.source}


@dataclass
class Condition:
    """A payment condition: convention, invoices, conformity (readiness report), usage targets."""

    id: str
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "statut": self.status, "message": self.message}


@dataclass
class Part:
    kind: str  # acquisition | mise_en_conformite | equipement
    granted: bool = True
    amount: int = 0
    reason: str | None = None

    def refuse(self, reason: str) -> None:
        if self.granted:
            self.granted, self.reason = False, reason

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.kind, "accordee": self.granted, "montant": self.amount, "motif": self.reason}


@dataclass
class Esms:
    og: int
    data: dict[str, Any]
    solution: dict[str, Any]
    dui: Part
    equipment: Part | None
    region: str | None = None
    capped: bool = False
    usage: Condition | None = None

    @property
    def finess(self) -> str:
        return self.data["finess"]

    @property
    def label(self) -> str:
        return f"{self.data['nom']} ({self.finess})"

    @property
    def amount(self) -> int:
        return self.dui.amount + (self.equipment.amount if self.equipment else 0)

    def to_dict(self) -> dict[str, Any]:
        parts = [self.dui] + ([self.equipment] if self.equipment else [])
        return {
            "finess": self.finess,
            "nom": self.data["nom"],
            "categorie": self.data["categorie"],
            "region": self.region,
            "hors_plafond": self.capped,
            "montant": self.amount,
            "parts": [p.to_dict() for p in parts],
            "usage": self.usage.to_dict() if self.usage else None,
        }


@dataclass
class FundingResult:
    cluster: dict[str, Any]
    source: str
    ruleset: RuleSet
    esms: list[Esms]
    reasons: list[Reason]
    support: list[Part] = field(default_factory=list)  # AMOA, pilotage (project level)
    regions: list[dict[str, Any]] = field(default_factory=list)
    instructing: str | None = None
    tranches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not any(r.status == KO for r in self.reasons)

    @property
    def computed(self) -> int:
        return sum(e.amount for e in self.esms) + sum(p.amount for p in self.support)

    @property
    def total(self) -> int:
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
                    "petit": og["petit"],
                    "montant": sum(e.amount for e in mine),
                    "esms": [e.to_dict() for e in mine],
                }
            )
        return {
            "campagne": {"id": self.ruleset.id, "version": self.ruleset.version, "titre": self.ruleset.title},
            "grappe": {
                "nom": self.name,
                "fichier": self.source,
                "type_projet": self.cluster["type_projet"],
                "territoire": self.cluster["territoire"],
                "solution": self.cluster["solution"],
            },
            "eligible": self.eligible,
            "raisons": [r.to_dict() for r in self.reasons],
            "montant_total": self.total,
            "montant_calcule": self.computed,
            "detail": {
                "organismes": organisations,
                "accompagnement": [p.to_dict() for p in self.support],
                "regions": self.regions,
                "ars_instructrice": self.instructing,
            },
            "tranches": self.tranches,
        }


def euros(amount: int) -> str:
    """French amount: thin no-break space between thousands."""
    return f"{amount:,}".replace(",", "\u202f") + " €"


def _names(cases: list[Esms], limit: int = 5) -> str:
    shown = ", ".join(e.label for e in cases[:limit])
    return shown + (f" et {len(cases) - limit} autre(s)" if len(cases) > limit else "")


def _solution_key(solution: dict[str, Any]) -> tuple[str, str, str]:
    return (solution["editeur"].strip().casefold(), solution["nom"].strip().casefold(), solution["version"].strip())


def _solution_label(solution: dict[str, Any]) -> str:
    return f"{solution['nom']} {solution['version']} ({solution['editeur']})"


class _Evaluation:
    """One pass over a validated cluster; each ``_rule_*`` method adds its reason."""

    def __init__(self, cluster: dict[str, Any], ruleset: RuleSet):
        self.cluster = cluster
        self.rules = ruleset
        self.type = cluster["type_projet"]
        self.reasons: list[Reason] = []
        self.support: list[Part] = []
        self.instructing: str | None = None
        self.esms: list[Esms] = []
        for og_index, og in enumerate(cluster["organismes"]):
            for data in og["esms"]:
                kind = self.type
                if self.type == CONF and data["sans_dui"]:
                    kind = ruleset.amounts["forfait_sans_dui"]
                self.esms.append(
                    Esms(
                        og_index,
                        data,
                        data.get("solution") or cluster["solution"],
                        Part(kind),
                        Part(EQUIP) if data["equipement"] else None,
                    )
                )

    def add(self, rule: str, status: str, message: str) -> None:
        self.reasons.append(Reason(rule, status, message, (self.rules.rule(rule) or {}).get("source", "")))

    def og(self, case: Esms) -> dict[str, Any]:
        return self.cluster["organismes"][case.og]

    @property
    def kept(self) -> list[Esms]:
        return [e for e in self.esms if e.dui.granted]

    def run(self) -> None:
        # ESMS rules first: they decide which ESMS count for the project rules.
        for name in ("finess", "editeur_deja_contractualise", "bon_commande_sons"):
            self._apply(name)
        self._apply("equipement")  # after the DUI parts: equipment never comes alone
        for name in (
            "taille_grappe",
            "solution_unique",
            "nature_projet",
            "champ",
            "services_socles",
            "referencement",
            "calendrier",
            "multiregional",
        ):
            self._apply(name)
        self._cap_and_price()
        self._apply("accompagnement")

    def _apply(self, name: str) -> None:
        params = self.rules.rule(name)
        if params is None:
            self.reasons.append(Reason(name, NA, f"règle absente du jeu « {self.rules.id} » : non appliquée"))
            return
        getattr(self, f"_rule_{name}")(params)

    # --- ESMS rules -------------------------------------------------------------------------------------

    def _rule_finess(self, params: dict[str, Any]) -> None:
        refused: list[str] = []
        seen: dict[str, Esms] = {}
        for case in self.esms:
            problem = finess_problem(case.finess, params["motif"], params["cle"])
            if problem is None and case.finess in seen:
                problem = f"FINESS {case.finess} déjà déclaré pour {seen[case.finess].data['nom']}"
            if problem:
                case.dui.refuse(problem)
                refused.append(f"{case.data['nom']} : {problem}")
            else:
                seen[case.finess] = case
        if refused:
            self.add(
                "finess",
                PARTIAL,
                f"{len(refused)} ESMS écarté(s), FINESS invalide ou en double : " + " ; ".join(refused),
            )
        else:
            key = " et clé de Luhn" if params["cle"] == "luhn" else ""
            self.add("finess", OK, f"{len(self.esms)} FINESS bien formés (format{key}), sans doublon.")

    def _rule_editeur_deja_contractualise(self, params: dict[str, Any]) -> None:
        signed = [e for e in self.esms if e.data.get("contrat_editeur_signe")]
        if self.type != ACQ:
            self.add(
                "editeur_deja_contractualise", NA, "projet de mise en conformité : la règle ne vise que l'acquisition."
            )
            return
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
                f"acquisition refusée pour {_names(sons)} : "
                "un bon de commande SONS signé vaut contrat avec un éditeur ; "
                "un bon SONS n'est admis que dans un projet de mise en conformité.",
            )
            return
        doubts = []
        for case in sons:
            if "SEGUR" not in case.solution.get("referencement", []):
                doubts.append(
                    f"{case.label} : bon valide seulement une fois le référencement Ségur obtenu, "
                    f"non déclaré pour {_solution_label(case.solution)}"
                )
            for field_name, limit_name, what in (
                ("date_commande_sons", "commande_avant", "commande"),
                ("date_deploiement_sons", "deploiement_avant", "mise à jour"),
            ):
                date = case.data.get(field_name)
                if date and date > params[limit_name]:
                    doubts.append(f"{case.label} : {what} SONS du {date}, après la limite du {params[limit_name]}")
        if doubts:
            self.add(
                "bon_commande_sons",
                CHECK,
                "ESMS avec bon SONS admis en mise en conformité, mais : " + " ; ".join(doubts),
            )
        else:
            self.add(
                "bon_commande_sons",
                OK,
                f"{len(sons)} ESMS avec bon de commande SONS, admis en mise en conformité "
                "(financements liés aux usages).",
            )

    def _rule_equipement(self, params: dict[str, Any]) -> None:
        asked = [(e, e.equipment) for e in self.esms if e.equipment]
        if not asked:
            self.add("equipement", NA, "aucun équipement demandé.")
            return
        per_og = Counter(e.og for e in self.esms)
        for case, equipment in asked:
            og = self.og(case)
            if not og["petit"]:
                equipment.refuse(
                    f"{og['nom']} n'est pas un petit organisme gestionnaire : l'équipement est réservé aux petits ESMS"
                )
            elif per_og[case.og] > params["petit_og_max_esms"]:
                equipment.refuse(
                    f"{og['nom']} déclaré petit mais compte {per_og[case.og]} ESMS dans la grappe "
                    f"(petit : {params['petit_og_max_esms']} au plus)"
                )
            elif self.type not in params["projets"]:
                equipment.refuse(f"équipement non prévu pour un projet {PART_LABELS[self.type]}")
            elif not case.dui.granted:
                equipment.refuse("l'équipement ne vient jamais seul : la part DUI de cet ESMS est refusée")
        refused = [(e, equipment) for e, equipment in asked if not equipment.granted]
        if refused:
            self.add(
                "equipement",
                PARTIAL,
                f"équipement refusé pour {len(refused)} ESMS sur {len(asked)} demandés : "
                + " ; ".join(f"{e.label} : {equipment.reason}" for e, equipment in refused[:5])
                + (" ; …" if len(refused) > 5 else "")
                + ". Leur part DUI n'en dépend pas.",
            )
        else:
            self.add("equipement", OK, f"équipement accordé à {len(asked)} ESMS de petits organismes gestionnaires.")

    # --- project rules ----------------------------------------------------------------------------------

    def _rule_taille_grappe(self, params: dict[str, Any]) -> None:
        kept = self.kept
        territory = self.cluster["territoire"]
        minimum = params["min_esms"][territory]
        per_og = Counter(e.og for e in kept)
        big = [(self.cluster["organismes"][i]["nom"], n) for i, n in per_og.items() if n >= params["og_seul_min_esms"]]
        counted = f"{len(kept)} ESMS retenus, {len(per_og)} organisme(s) gestionnaire(s)"
        if len(per_og) >= params["min_og"] and len(kept) >= minimum:
            self.add(
                "taille_grappe", OK, f"{counted} : au moins {params['min_og']} OG et {minimum} ESMS ({territory})."
            )
        elif big:
            self.add(
                "taille_grappe",
                OK,
                f"{counted} : {big[0][0]} compte {big[0][1]} ESMS, au moins "
                f"{params['og_seul_min_esms']}, et peut candidater seul.",
            )
        else:
            self.add(
                "taille_grappe",
                KO,
                f"{counted} ; attendu : au moins {params['min_og']} OG et {minimum} ESMS "
                f"({territory}), ou un OG d'au moins {params['og_seul_min_esms']} ESMS.",
            )

    def _rule_solution_unique(self, params: dict[str, Any]) -> None:
        groups: dict[tuple, list[Esms]] = {}
        for case in self.kept:
            groups.setdefault(_solution_key(case.solution), []).append(case)
        if len(groups) <= 1:
            only = next(iter(groups.values()))[0].solution if groups else self.cluster["solution"]
            self.add("solution_unique", OK, f"une seule solution pour tous les ESMS : {_solution_label(only)}.")
            return
        detail = " ; ".join(
            f"{_solution_label(cases[0].solution)} : {len(cases)} ESMS ({_names(cases, 3)})"
            for cases in sorted(groups.values(), key=len, reverse=True)
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
        if self.type == ACQ:
            self.add("nature_projet", OK, f"projet d'acquisition pour {len(kept)} ESMS.")
            return
        if not kept or len(without) / len(kept) < params["part_max_sans_dui"]:
            self.add(
                "nature_projet",
                OK,
                f"mise en conformité : {len(without)} ESMS sans DUI sur {len(kept)}, "
                f"moins de {params['part_max_sans_dui']:.0%}.",
            )
        else:
            self.add(
                "nature_projet",
                KO,
                f"mise en conformité avec {len(without)} ESMS sans DUI sur {len(kept)} : "
                f"ils doivent rester minoritaires (moins de {params['part_max_sans_dui']:.0%}) ; "
                "sinon le projet mélange acquisition et mise en conformité.",
            )

    def _rule_champ(self, params: dict[str, Any]) -> None:
        kept = self.kept
        counts = Counter(e.data["categorie"] for e in kept)
        if not counts:
            self.add("champ", NA, "aucun ESMS retenu.")
            return
        dominant, count = counts.most_common(1)[0]
        others = {c: n for c, n in counts.items() if c not in params["champs_prioritaires"]}
        notes = []
        if count / len(kept) <= params["part_min_champ_dominant"]:
            notes.append(f"pas de champ nettement dominant ({dominant} : {count} ESMS sur {len(kept)})")
        if others:
            notes.append("champs hors priorité : " + ", ".join(f"{c} ({n})" for c, n in sorted(others.items())))
        repartition = ", ".join(f"{c} {n}" for c, n in counts.most_common())
        if notes:
            self.add("champ", CHECK, f"répartition {repartition} : " + " ; ".join(notes) + " — à apprécier par l'ARS.")
        else:
            self.add("champ", OK, f"projet à dominante {dominant} ({repartition}).")

    def _rule_services_socles(self, params: dict[str, Any]) -> None:
        declared = self.cluster["services_socles"]
        counted = [s for s in declared if s in params["comptes"]]
        missing = [s for s in params["obligatoires"] if s not in declared]
        problems = []
        if len(counted) < params["minimum"]:
            problems.append(
                f"{len(counted)} service(s) socle(s) compté(s) "
                f"({', '.join(SERVICE_NAMES[s] for s in counted) or 'aucun'}), "
                f"au moins {params['minimum']} attendus parmi {', '.join(SERVICE_NAMES[s] for s in params['comptes'])}"
            )
        if missing:
            problems.append("obligatoire(s) dans ce jeu de règles : " + ", ".join(SERVICE_NAMES[s] for s in missing))
        if problems:
            self.add("services_socles", KO, " ; ".join(problems) + ".")
        else:
            ignored = [SERVICE_NAMES[s] for s in declared if s not in params["comptes"]]
            note = (
                f" ({', '.join(ignored)} déclaré, non compté parmi les services socles de la règle)" if ignored else ""
            )
            self.add(
                "services_socles", OK, f"interopérabilité avec {', '.join(SERVICE_NAMES[s] for s in counted)}{note}."
            )

    def _rule_referencement(self, params: dict[str, Any]) -> None:
        solution = self.cluster["solution"]
        labels = [r for r in solution.get("referencement", []) if r in params["admis"]]
        if labels:
            self.add("referencement", OK, f"{_solution_label(solution)} référencée ({', '.join(labels)}).")
            self.add("derogation", NA, "solution référencée : pas de dérogation nécessaire.")
            return
        if self.type == ACQ:
            self.add(
                "referencement",
                KO,
                f"{_solution_label(solution)} n'est pas référencée ({' ou '.join(params['admis'])}) : "
                "une acquisition passe par la mise en concurrence d'éditeurs référencés.",
            )
            self.add("derogation", NA, "la dérogation ne vaut que pour une mise en conformité.")
            return
        self.add(
            "referencement",
            CHECK,
            f"{_solution_label(solution)} n'est pas déclarée référencée : "
            "admise seulement par dérogation (règle « derogation »).",
        )
        if self.rules.rule("derogation") is None:
            self.reasons.append(Reason("derogation", NA, f"règle absente du jeu « {self.rules.id} » : non appliquée"))
            return
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
            problems.append(f"aucun ESMS du champ {derogation['champ']} dans le projet")
        elif any(e.data["sans_dui"] for e in field_cases):
            problems.append(
                f"la solution n'est pas déployée dans tous les ESMS du champ {derogation['champ']} "
                f"({_names([e for e in field_cases if e.data['sans_dui']], 3)} sans DUI)"
            )
        if problems:
            self.add("derogation", KO, "dérogation non admise : " + " ; ".join(problems) + ".")
        else:
            self.add(
                "derogation",
                OK,
                f"dérogation : solution déployée dans les {len(field_cases)} ESMS du champ "
                f"{derogation['champ']} du projet, éditeur engagé (déclaratif, à confirmer par l'ARS).",
            )

    def _rule_calendrier(self, params: dict[str, Any]) -> None:
        dates = self.cluster.get("dates", {})
        filed, signed = dates.get("depot"), dates.get("convention")
        problems, notes = [], []
        if filed is None:
            notes.append("date de dépôt non déclarée")
        elif not params["depot_debut"] <= filed <= params["depot_fin"]:
            problems.append(
                f"dépôt le {filed}, hors de la période de candidature "
                f"du {params['depot_debut']} au {params['depot_fin']}"
            )
        if signed and params.get("convention_avant") and signed > params["convention_avant"]:
            problems.append(f"convention signée le {signed}, après la limite du {params['convention_avant']}")
        window = f"candidatures du {params['depot_debut']} au {params['depot_fin']}" + (
            f", conventions avant le {params['convention_avant']}" if params.get("convention_avant") else ""
        )
        if problems:
            self.add("calendrier", KO, " ; ".join(problems) + ".")
        elif notes:
            self.add("calendrier", CHECK, f"{notes[0]} : à vérifier ({window}).")
        else:
            self.add("calendrier", OK, f"dépôt le {filed}, dans la période ({window}).")

    def _rule_multiregional(self, params: dict[str, Any]) -> None:
        unknown = []
        regions = known_regions()
        for case in self.esms:
            case.region = case.data.get("region") or region_of(case.finess)
            if case.dui.granted and case.region not in regions:
                unknown.append(case)
        counts = Counter(e.region for e in self.kept if e.region in regions)
        problems = [f"région inconnue pour {_names(unknown, 3)} (renseigner « region »)"] if unknown else []
        if params["instruction"] == "plus_d_esms":
            self.instructing = counts.most_common(1)[0][0] if counts else None
            how = "ARS de la région qui compte le plus d'ESMS"
            if len(counts) > 1 and len({n for _, n in counts.most_common(2)}) == 1:
                problems.append("deux régions à égalité d'ESMS : ARS instructrice à désigner")
        else:
            holders = [og for og in self.cluster["organismes"] if og.get("porteur")]
            how = "ARS du siège du porteur"
            self.instructing = holders[0].get("region_siege") if len(holders) == 1 else None
            if len(holders) != 1 or self.instructing not in regions:
                problems.append("porteur (un seul organisme « porteur: true ») et sa « region_siege » à déclarer")
        spread = ", ".join(f"{r} {n}" for r, n in counts.most_common())
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

    # --- amounts ----------------------------------------------------------------------------------------

    def _cap_and_price(self) -> None:
        amounts = self.rules.amounts
        cap = amounts["plafond_esms"]
        for rank, case in enumerate(self.kept):
            if rank >= cap:
                case.capped = True
                case.dui.refuse(f"au-delà des {cap} ESMS financés par projet")
                if case.equipment:
                    case.equipment.refuse(f"au-delà des {cap} ESMS financés par projet")
        for case in self.esms:
            case.dui.amount = amounts[case.dui.kind] if case.dui.granted else 0
            if case.equipment:
                case.equipment.amount = amounts[EQUIP] if case.equipment.granted else 0
        capped = [e for e in self.esms if e.capped]
        if capped:
            self.reasons.append(
                Reason(
                    "plafond_esms",
                    PARTIAL,
                    f"{len(capped)} ESMS au-delà du plafond de {cap} ESMS par projet, "
                    f"non financés (ordre du fichier) : {_names(capped)}.",
                    amounts["source"],
                )
            )
        else:
            self.reasons.append(
                Reason(
                    "plafond_esms",
                    OK,
                    f"{len(self.kept)} ESMS financés, plafond de {cap} par projet.",
                    amounts["source"],
                )
            )

    def _rule_accompagnement(self, params: dict[str, Any]) -> None:
        asked = {k: v for k, v in self.cluster.get("accompagnement", {}).items() if v}
        if not asked:
            self.add("accompagnement", NA, "ni AMOA ni pilotage demandés.")
            return
        big = [og["nom"] for og in self.cluster["organismes"] if not og["petit"]]
        for kind in asked:
            part = Part(kind)
            if kind not in self.rules.amounts:
                part.refuse(f"aucun montant « {kind} » dans le jeu de règles")
            elif big:
                part.refuse(f"réservé aux grappes de petits OG ; non petit(s) : {', '.join(big)}")
            part.amount = self.rules.amounts.get(kind, 0) if part.granted else 0
            self.support.append(part)
        refused = [p for p in self.support if not p.granted]
        if refused:
            self.add("accompagnement", PARTIAL, " ; ".join(f"{p.kind} refusé : {p.reason}" for p in refused) + ".")
        else:
            self.add("accompagnement", OK, " ; ".join(f"{p.kind} : {euros(p.amount)}" for p in self.support) + ".")


def split_by_count(total: int, counts: dict[str, int]) -> dict[str, int]:
    """Split ``total`` euros by weights (largest remainder), so that the parts add up exactly."""
    weight = sum(counts.values())
    if not weight:
        return {k: 0 for k in counts}
    exact = {k: total * n / weight for k, n in counts.items()}
    shares = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[: total - sum(shares.values())]:
        shares[k] += 1
    return shares


def evaluate(
    cluster: dict[str, Any],
    ruleset: RuleSet,
    source: str = "grappe",
    conformity: Condition | None = None,
    usage: dict[str, Condition] | None = None,
    usage_note: str = "",
) -> FundingResult:
    """Eligibility, amounts and tranches of a schema-valid cluster under ``ruleset``.

    ``conformity`` comes from a readiness report, ``usage`` (FINESS -> condition) from a usage
    evaluation; without them those conditions are *non évaluée*, never met.
    """
    run = _Evaluation(cluster, ruleset)
    run.run()
    result = FundingResult(cluster, source, ruleset, run.esms, run.reasons, run.support, instructing=run.instructing)
    if result.eligible:
        counts = Counter(e.region for e in run.esms if e.amount and e.region)
        shares = split_by_count(result.total, dict(counts))
        result.regions = [{"region": r, "esms": n, "montant": shares[r]} for r, n in counts.most_common()]
    for case in run.esms:
        if case.amount:
            case.usage = (usage or {}).get(case.finess) or Condition(
                "usage",
                NOT_EVALUATED,
                "aucune donnée d'usage fournie (--usage)" if usage is None else "ESMS absent de l'évaluation d'usage",
            )
    result.tranches = _tranches(result, conformity, usage_note)
    return result


def _tranches(result: FundingResult, conformity: Condition | None, usage_note: str) -> list[dict[str, Any]]:
    tranches = result.ruleset.tranches
    amounts = split_by_count(result.total, {t["id"]: t["part"] for t in tranches})
    funded = [e for e in result.esms if e.amount]
    out = []
    for tranche in tranches:
        conditions = [_condition(name, result, conformity, usage_note) for name in tranche["conditions"]]
        amount = amounts[tranche["id"]]
        entry = {
            "id": tranche["id"],
            "libelle": tranche["libelle"],
            "part": tranche["part"],
            "montant": amount,
            "source": tranche["source"],
            "condition": " ; ".join(f"{c.id} : {c.message}" for c in conditions) or "aucune",
            "conditions": [c.to_dict() for c in conditions],
        }
        others = {c.status for c in conditions if c.id != "usage"}
        # Pieces only the ARS can check (convention, invoices) do not hold the amount back: it is
        # releasable "sous réserve" of them, and the output names them.
        entry["sous_reserve"] = [c.id for c in conditions if c.status == TO_CHECK and c.id != "usage"]
        if not result.eligible:
            status, releasable = "sans_objet", 0
        elif UNMET in others:
            status, releasable = "bloquee", 0
        elif NOT_EVALUATED in others:
            status, releasable = "en_attente", 0
        elif "usage" in tranche["conditions"] and funded:
            # Usage is decided ESMS by ESMS: the tranche is released in proportion to the ESMS that meet it.
            met = [e for e in funded if e.usage and e.usage.status == MET]
            entry["esms_liberables"] = [e.finess for e in met]
            if len(met) == len(funded):
                status, releasable = "liberable", amount
            elif met:
                status, releasable = (
                    "partiellement_liberable",
                    amount * sum(e.amount for e in met) // sum(e.amount for e in funded),
                )
            elif all(e.usage and e.usage.status == UNMET for e in funded):
                status, releasable = "bloquee", 0
            else:
                status, releasable = "en_attente", 0
        else:
            status, releasable = "liberable", amount
        entry["statut"], entry["montant_liberable"] = status, releasable
        out.append(entry)
    return out


def _condition(name: str, result: FundingResult, conformity: Condition | None, usage_note: str) -> Condition:
    if name == "convention":
        signed = result.cluster.get("dates", {}).get("convention")
        limit = (result.ruleset.rule("calendrier") or {}).get("convention_avant")
        if signed and limit:
            return Condition(name, MET if signed <= limit else UNMET, f"convention signée le {signed} (limite {limit})")
        return Condition(name, TO_CHECK, "signature de la convention ARS / porteur : à vérifier par l'ARS")
    if name in ("facture_parametrage", "facture_deploiement"):
        what = "fin du paramétrage" if name == "facture_parametrage" else "fin du déploiement"
        return Condition(name, TO_CHECK, f"facture de {what} : pièce à vérifier par l'ARS")
    if name == "conformite":
        return conformity or Condition(name, NOT_EVALUATED, "aucun rapport de préparation fourni (--rapport)")
    if name == "usage":
        funded = [e for e in result.esms if e.amount]
        statuses = Counter(e.usage.status for e in funded if e.usage)
        if not funded:
            return Condition(name, NOT_EVALUATED, "aucun ESMS financé")
        if statuses.get(NOT_EVALUATED) == len(funded):
            return Condition(name, NOT_EVALUATED, next(e.usage.message for e in funded if e.usage))
        met = statuses.get(MET, 0)
        status = MET if met == len(funded) else (UNMET if statuses.get(UNMET, 0) == len(funded) else TO_CHECK)
        return Condition(
            name, status, f"cibles d'usage atteintes par {met} ESMS financé(s) sur {len(funded)}{usage_note}"
        )
    raise ValueError(f"condition inconnue : {name}")
