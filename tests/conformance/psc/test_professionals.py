"""The fictitious professionals (conformance/psc/professionals.py): valid national ids, one directory shared with
the MSSanté directory mock."""

from dui_conformance.mocks.mss.directory import Directory
from dui_conformance.psc.professionals import directory


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_directory_professionals_have_valid_national_ids():
    for pro in directory():
        assert len(pro.rpps) == 11 and luhn(pro.rpps)
        assert pro.id_national == "8" + pro.rpps
        assert pro.activites and all(a.secteur_activite.startswith("SA") for a in pro.activites)
        assert set(pro.authentification) <= {"CPS", "e-CPS"} and "@" in pro.mssante


def test_psc_and_mssante_read_one_directory():
    """Issue 9: the professional who logs in through PSC has the MSSanté mailbox of the same directory."""
    mss = Directory.load()
    for pro in directory():
        box = mss.mailbox(pro.mssante)
        assert box is not None and box.type == "PER" and box.owner == pro.id
        structures = {s["nom"]: s for s in mss.structures}
        assert all(structures[a.raison_sociale]["finess"] == a.finess_site for a in pro.activites)
