"""The fictitious professionals of ``annuaire.toml`` (beside this module) as Pro Santé Connect sees them.

The directory file belongs to the library: the PSC checks know from it who logs in, the PSC and MSSanté
simulators answer from it (the MSSanté directory mock reads its mailboxes). This module reads it and shapes the
userinfo claims PSC returns (facts §5.3: ``SubjectNameID``, ``SubjectRefPro`` with exercices and
activities, ``SubjectRole``, ``Secteur_Activite``).
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

ANNUAIRE_FILE = files("dui_conformance.psc") / "annuaire.toml"

# OIDs of the coded userinfo values (facts §3.3 and §5.3).
ROLE_OID = "1.2.250.1.213.1.1.5.5"
SECTOR_OID = "1.2.250.1.71.4.2.4"
# Pseudonymous ``sub`` per professional, stable across runs (Keycloak gives each user a UUID).
_SUB_NAMESPACE = uuid.UUID("6b0b5f0e-4a43-4c55-9d0c-3f1d6b2c9a17")


@dataclass(frozen=True)
class Activity:
    raison_sociale: str
    finess_site: str
    finess_juridique: str
    secteur_activite: str
    mode_exercice: str


@dataclass(frozen=True)
class Professional:
    id: str
    rpps: str
    id_national: str
    civilite: str
    nom: str
    prenom: str
    profession: str
    libelle_profession: str
    categorie: str
    authentification: tuple[str, ...]
    mssante: str
    activites: tuple[Activity, ...]

    @property
    def sub(self) -> str:
        return str(uuid.uuid5(_SUB_NAMESPACE, self.id_national))

    @property
    def display_name(self) -> str:
        return f"{self.prenom} {self.nom} ({self.libelle_profession}, {self.activites[0].raison_sociale})"

    def userinfo(self) -> dict:
        """The userinfo claims of this professional (first activity as the current work situation)."""
        first = self.activites[0]
        return {
            "sub": self.sub,
            "SubjectNameID": self.id_national,
            "preferred_username": self.id_national,
            "given_name": self.prenom,
            "family_name": self.nom,
            "codeCivilite": self.civilite,
            "email_verified": False,
            "SubjectRefPro": {
                "codeCivilite": self.civilite,
                "exercices": [
                    {
                        "codeProfession": self.profession,
                        "codeCategorieProfessionnelle": self.categorie,
                        "nomDexercice": self.nom,
                        "prenomDexercice": self.prenom,
                        "codeSavoirFaire": "",
                        "codeTypeSavoirFaire": "",
                        "activities": [
                            {
                                "codeModeExercice": a.mode_exercice,
                                "codeSecteurDactivite": a.secteur_activite,
                                "numeroFinessSite": a.finess_site,
                                "numeroFinessetablissementJuridique": a.finess_juridique,
                                "raisonSocialeSite": a.raison_sociale,
                                "identifiantTechniqueDeLaStructure": "F" + a.finess_site,
                            }
                            for a in self.activites
                        ],
                    }
                ],
            },
            "SubjectOrganization": first.raison_sociale,
            "SubjectOrganizationID": "1" + first.finess_site,
            "SubjectRole": [f"{self.profession}^{ROLE_OID}"],
            "Secteur_Activite": f"{first.secteur_activite}^{SECTOR_OID}",
            "otherIds": [{"identifiant": self.rpps, "origine": "RPPS", "qualite": 1}],
        }


@cache
def directory() -> tuple[Professional, ...]:
    """Every professional of the shared fictitious directory (mocks/common/annuaire.toml, also the MSSanté
    mock's), in file order: activities from their structures, their personal (PER) MSSanté mailbox."""
    data = tomllib.loads(ANNUAIRE_FILE.read_text(encoding="utf-8"))
    structures = {s["id"]: s for s in data["structure"]}

    def activity(structure_id: str, mode: str) -> Activity:
        s = structures[structure_id]
        return Activity(s["nom"], s["finess"], s["finess_juridique"], s["secteur"], mode)

    return tuple(
        Professional(
            id=row["id"],
            rpps=row["rpps"],
            id_national=row["identifiant_national"],
            civilite=row["civilite"],
            nom=row["nom"],
            prenom=row["prenom"],
            profession=row["profession"],
            libelle_profession=row["libelle_profession"],
            categorie=row["categorie"],
            authentification=tuple(row["authentification"]),
            mssante=next((b["adresse"] for b in row.get("bal", []) if b["type"] == "PER"), ""),
            activites=tuple(
                activity(a, row.get("mode_exercice", "S")) for a in row.get("activites", [row["structure"]])
            ),
        )
        for row in data["professionnel"]
    )


def professional(professional_id: str) -> Professional:
    """The professional with this ``id``; KeyError (French) listing the known ones."""
    for p in directory():
        if p.id == professional_id:
            return p
    raise KeyError(
        f"Professionnel fictif « {professional_id} » inconnu (connus : {', '.join(p.id for p in directory())})."
    )
