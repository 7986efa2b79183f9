"""The vendor guide is enough to implement the adapter (issue 7, point 7).

A minimal adapter is written here the way a vendor would, from docs/guide-editeur.md alone: its INSi
requests are the guide's example messages with the resident's traits put in, its Patient export is the
guide's example with the resident's values. Nothing is imported from the reference DUI. Run live on the
INS requirements, it gets CONFORME; the guide's ITI-18 example is accepted by the DMP mock as it stands.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import unicodedata
import uuid
from datetime import date
from pathlib import Path

import pytest
import requests
from lxml import etree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from dui_conformance.live.config import DuiConfig
from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.model import Outcome
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import LIVE, RunSettings

pytestmark = pytest.mark.live

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide-editeur.md"
INS_LIVE = [f"INS-{n}" for n in range(20, 30)]


def example(name: str) -> str:
    """The fenced block that follows ``<!-- exemple: name -->`` in the guide."""
    match = re.search(rf"<!-- exemple: {re.escape(name)} -->\n```\w+\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert match, f"exemple « {name} » absent du guide"
    return match.group(1)


def _section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[text.index(title):]


# What the guide says in prose, read from it rather than retyped.
HIGH_TRUST = set(re.findall(r"`(\w+)`", _section("Pièces à haut niveau de confiance").split("Les scénarios")[0]))
RNIV = {(True, True): "QUAL", (True, False): "RECUP", (False, True): "VALI", (False, False): "PROV"}


def _ns(tag: str) -> str:
    return tag[1:].split("}")[0]


def _child(parent, local: str):
    return next((c for c in parent.iter() if isinstance(c.tag, str) and c.tag.endswith("}" + local)), None)


def ins_form(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)).upper()


class GuideAdapter:
    """The adapter contract, INS tag only, from the guide's examples."""

    def __init__(self, insi_url: str):
        self.insi_url = insi_url
        self.residents: dict[str, dict] = {}
        self.session = requests.Session()
        self.session.trust_env = False

    # --- INSi, from the guide's example envelopes ------------------------------------------------

    def _call(self, name: str, fill) -> tuple[int, etree._Element]:
        envelope = etree.fromstring(example(name).encode())
        payload = next(c for c in _child(envelope, "Body") if isinstance(c.tag, str))
        fill(payload, _ns(payload.tag))
        _child(envelope, "MessageID").text = f"uuid:{uuid.uuid4()}"
        action = _child(envelope, "Action").text
        response = self.session.post(self.insi_url, data=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
                                     headers={"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'},
                                     timeout=10)
        return response.status_code, etree.fromstring(response.content)

    @staticmethod
    def _set(payload, ns: str, values: list[tuple[str, str | None]]) -> None:
        for child in list(payload):
            payload.remove(child)
        for local, value in values:
            if value is not None:
                etree.SubElement(payload, f"{{{ns}}}{local}").text = value

    def search_traits(self, traits: dict) -> tuple[str | None, etree._Element]:
        first_names = [ins_form(n) for n in traits["prenoms"]]
        attempts = [(first_names[:1], None), (first_names, None), (first_names, traits.get("lieuNaissance"))]
        for names, place in attempts:
            values = [("NomNaissance", ins_form(traits["nomNaissance"]))] + [("Prenom", n) for n in names]
            values += [("Sexe", traits["sexe"]), ("DateNaissance", traits["dateNaissance"]), ("LieuNaissance", place)]
            status, answer = self._call("insi-traits", lambda p, ns: self._set(p, ns, values))
            code = self._code(status, answer)
            if code != "02":
                break
        return code, answer

    def search_vitale(self, card: dict) -> tuple[str | None, etree._Element]:
        def fill(payload, ns):
            _child(payload, "NumIdentifiant").text = card["matricule"]
            _child(payload, "Cle").text = card["cle"]
            _child(payload, "NomNaissance").text = ins_form(card["nomNaissance"])
            _child(payload, "DateNaissance").text = card["dateNaissance"]
            _child(payload, "RangNaissance").text = str(card["rangNaissance"])
        status, answer = self._call("insi-vitale", fill)
        return self._code(status, answer), answer

    @staticmethod
    def _code(status: int, answer) -> str | None:
        if status >= 400 or _child(answer, "Fault") is not None:
            return None
        return _child(answer, "CodeCR").text

    # --- admission -------------------------------------------------------------------------------

    def admit(self, body: dict, vitale: bool) -> Response:
        rid = f"G{len(self.residents) + 1:04d}"
        code, answer = self.search_vitale(body) if vitale else self.search_traits(body)
        document = body.get("pieceIdentite")
        resident = {"id": rid, "method": "CV" if vitale else "INSI", "document": document, "ins": None,
                    "name": ins_form(body["nomNaissance"]), "names": [ins_form(n) for n in body.get("prenoms", [])],
                    "sex": body.get("sexe"), "birth": body["dateNaissance"], "place": body.get("lieuNaissance")}
        if code == "00":
            active, tiq = _child(answer, "INSACTIF"), _child(answer, "TIQ")
            resident["ins"] = (_child(active, "NumIdentifiant").text + _child(active, "Cle").text, _child(active, "OID").text)
            resident["name"] = _child(tiq, "NomNaissance").text
            resident["names"] = _child(tiq, "ListePrenom").text.split(" ")
            resident["sex"], resident["birth"] = _child(tiq, "Sexe").text, _child(tiq, "DateNaissance").text
            resident["place"] = _child(tiq, "LieuNaissance").text
        resident["status"] = RNIV[(code == "00", document in HIGH_TRUST)]
        self.residents[rid] = resident
        if code is None:
            return _json({"type": "about:blank", "title": "Erreur du téléservice INSi", "status": 502,
                          "detail": "Faute SOAP de l'INSi.", "resident": rid}, 502, "application/problem+json")
        ins = {"matricule": resident["ins"][0], "oid": resident["ins"][1]} if resident["ins"] else None
        return _json({"id": rid, "statut": resident["status"], "ins": ins}, 201)

    # --- export, from the guide's example Patient --------------------------------------------------

    def patient(self, rid: str) -> dict:
        r = self.residents[rid]
        p = copy.deepcopy(json.loads(example("patient")))
        qualified = r["status"] == "QUAL"
        p["id"] = rid
        if not qualified:
            p["meta"]["profile"] = [p["meta"]["profile"][0].replace("fr-core-patient-ins", "fr-core-patient")]
        reliability, birthplace = p["extension"]
        subs = {s["url"]: s for s in reliability["extension"]}
        subs["identityStatus"]["valueCoding"]["code"] = r["status"]
        subs["methodCollection"]["valueCoding"]["code"] = r["method"]
        subs["dateInterrogationINSi"]["valueDate"] = date.today().isoformat()
        if r["status"] in ("QUAL", "VALI"):
            subs["validationMode"]["valueCoding"]["code"] = r["document"]
        else:
            del subs["validationMode"]
        reliability["extension"] = list(subs.values())
        coding = birthplace["valueAddress"]["extension"][0]["valueCoding"]
        coding["code"] = r["place"]
        if r["place"] and r["place"].startswith("99"):
            coding["system"] = coding["system"].replace("TRE_R13-CommuneOM", "TRE_R20-Pays").replace("TRE-R13-CommuneOM", "TRE-R20-Pays")
        p["extension"] = [reliability] + ([birthplace] if r["place"] else [])
        local, ins = p["identifier"]
        local["value"] = rid
        p["identifier"] = [local]
        if qualified:
            ins["value"] = r["ins"][0]
            p["identifier"].append(ins)
        name = p["name"][0]
        name["family"] = r["name"]
        name["given"] = r["names"][:1]
        name["extension"][0]["valueString"] = " ".join(r["names"])
        p["gender"] = {"M": "male", "F": "female"}.get(r["sex"], "unknown")
        year, month, day = r["birth"].split("-")
        p["birthDate"] = year if month == "00" else f"{year}-{month}" if day == "00" else r["birth"]
        return p

    # --- HTTP ------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        path, method = request.path.rstrip("/"), request.method
        if path == "/sante":
            response = _json({"statut": "disponible", "logiciel": "adaptateur du guide", "services": ["INS"]})
        elif path == "/reinitialisation" and method == "POST":
            self.residents.clear()
            response = Response(status=204)
        elif path in ("/residents", "/residents/carte-vitale") and method == "POST":
            response = self.admit(request.get_json(), vitale=path.endswith("carte-vitale"))
        elif (m := re.fullmatch(r"/residents/([^/]+)/patient", path)) and m.group(1) in self.residents:
            response = _json(self.patient(m.group(1)), mimetype="application/fhir+json")
        else:
            response = _json({"type": "about:blank", "title": "Non disponible", "status": 404,
                              "detail": f"{method} {path}"}, 404, "application/problem+json")
        return response(environ, start_response)


def _json(body, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype=mimetype)


@pytest.fixture
def guide_adapter():
    servers = []

    def start(insi_url: str) -> str:
        server = make_server("127.0.0.1", 0, GuideAdapter(insi_url), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def test_the_guide_names_the_high_trust_documents():
    assert {"CN", "PA", "CS"} <= HIGH_TRUST and "null" not in HIGH_TRUST


def test_an_adapter_written_from_the_guide_is_conformant_on_the_live_ins_requirements(guide_adapter, free_ports):
    insi_port, = free_ports(1)
    adapter_url = guide_adapter(f"http://127.0.0.1:{insi_port}/lps")
    config = DuiConfig(adapter_url=adapter_url, ports={"insi": insi_port})
    settings = RunSettings(mode="run", phases=[LIVE], requirements=INS_LIVE, profile="homologation")
    with LiveEnvironment(dui_config=config) as env:
        env.preflight()
        run = execute(Execution(settings, live_env=env))
    outcomes = {r.id: r.outcome for r in run.requirements if r.id in INS_LIVE or r.id == "INS-14"}
    assert run.verdict == "conforme", [(r.id, [f.message for f in r.findings if f.outcome is Outcome.FAIL])
                                       for r in run.requirements if r.outcome is Outcome.FAIL]
    assert set(outcomes.values()) == {Outcome.PASS}, outcomes


def test_the_guide_iti18_example_is_accepted_by_the_dmp_mock():
    from dui_conformance.mocks.dmp import DmpMock

    with DmpMock() as dmp:
        body = example("iti18").encode()
        response = requests.post(dmp.iti18_url, data=body, timeout=10,
                                 headers={"Content-Type": "application/soap+xml; charset=UTF-8"})
        exchange = dmp.recorder.exchanges()[-1]
    assert response.status_code == 200 and exchange.deviations == [], exchange.deviations
