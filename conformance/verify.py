"""``dui-conformance verifier PREUVES.zip``: whether an evidence pack is the one the harness wrote.

An ARS receives ``evidence.zip`` from an ESMS or a vendor and must be able to trust it without trusting
them. The pack is read as hostile input (:class:`~dui_conformance.safezip.SafeZip`, bounds below; nothing
is extracted but the documents, into a private temporary folder). Three checks, each naming what differs:

- every file against the SHA-256 that ``MANIFEST.json`` gives for it (changed, missing, added);
- the verdicts: the offline checks run again, with the engine of ``check``, on the documents the pack
  holds (``documents/``), and each requirement's outcome, each document's outcome per requirement and the
  run's verdict are compared with ``report.json`` (and the verdict with the manifest's);
- optionally the detached signature of the manifest (``MANIFEST.json.sig``, Ed25519, ECDSA or RSA, from a
  public key or an X.509 certificate), which ``check``, ``run`` and ``demo`` write with ``--signer-preuves``.

Without a signature, someone who rewrites a file and its digest in the manifest is caught only by the
verdicts run again; only the signature binds the whole pack (the run's settings included) to its signer.
What the live phase decided cannot be run again offline: such requirements are compared document by
document only, and said so. Nor are the extra ``--catalogue`` folders of the run in the pack, or named by its
manifest: a requirement of report.json that the replay's catalogue does not know (given again with ``--catalogue``,
the built-in one otherwise) is not replayed, hence not compared, and said so rather than called a discrepancy.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from . import __version__
from .compare import per_document
from .execution.plan import SELECTION_REASON
from .ins.matricule import ENVIRONMENTS
from .model import SCHEMA_VERSION, Outcome, RunResult
from .report.evidence import DOCUMENTS, documents_root
from .requirements import PROFILES, load_catalogue
from .requirements.catalogue import WAVES
from .results import subjects
from .runner import Execution, Progress, execute
from .safezip import SafeZip, ZipLimits, ZipProblem
from .settings import LIVE_SUBJECT, OFFLINE, RunSettings

MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.json.sig"
REPORT = "report.json"
# A pack holds a few reports, the exchanges and every document of the run: far more entries than an
# IHE_XDM.ZIP, bounded all the same; no archive inside a pack is opened. The documents are the DUI's, packed
# as read, some of them very repetitive (the hostile fixtures inflate 200 times): the ratio bound is deflate's
# own ceiling (about 1032 to 1), so that only a lie about sizes trips it, and a bomb meets the size bounds,
# checked on the declared sizes before anything is inflated and again while inflating.
PACK_LIMITS = ZipLimits(
    max_entries=200_000,
    max_entry_bytes=1024 * 1024 * 1024,
    max_total_bytes=8 * 1024 * 1024 * 1024,
    max_ratio=1100.0,
    max_path_depth=32,
    max_nesting=0,
)
_DATE_FORMAT = "%d/%m/%Y"

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyFileError(ValueError):
    """A key or certificate file the harness cannot use (a usage error); the message is French."""


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # paquet | fichier | signature | verdict
    subject: str  # a file of the pack, a requirement, « exigence — document », or the verdict
    message: str  # French: what was found, against what it should be

    def to_dict(self) -> dict[str, str]:
        return {"type": self.kind, "objet": self.subject, "message": self.message}


@dataclass
class Verification:
    pack: str
    discrepancies: list[Discrepancy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signature: str = "absente"  # absente | non vérifiée | valide | invalide
    signer: str = ""  # the key or certificate that verified it
    run: dict[str, Any] = field(default_factory=dict)  # what the manifest says of the run
    files: int = 0  # files checked against the manifest
    documents: int = 0  # documents judged again
    requirements: int = 0  # requirement outcomes compared

    @property
    def agrees(self) -> bool:
        return not self.discrepancies

    def add(self, kind: str, subject: str, message: str) -> None:
        self.discrepancies.append(Discrepancy(kind, subject, message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "paquet": self.pack,
            "concorde": self.agrees,
            "execution": self.run,
            "signature": {"etat": self.signature, "cle": self.signer or None},
            "fichiers_verifies": self.files,
            "documents_rejoues": self.documents,
            "exigences_comparees": self.requirements,
            "ecarts": [d.to_dict() for d in self.discrepancies],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class VerificationKey:
    """A public key the ARS trusts, and how to name it in the output."""

    key: PublicKey
    description: str
    note: str = ""  # a certificate outside its validity period

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            if isinstance(self.key, ed25519.Ed25519PublicKey):
                self.key.verify(signature, data)
            elif isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                self.key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def load_signing_key(path: Path) -> PrivateKey:
    """An unencrypted PEM private key: Ed25519, elliptic curve (ECDSA, SHA-256) or RSA (PKCS#1 v1.5, SHA-256),
    the signatures ``openssl`` also makes and checks."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{path} : clé privée PEM illisible ou chiffrée ({exc}).") from None
    if not isinstance(key, PrivateKey):
        raise _unsupported(path, key)
    return key


def load_verification_key(path: Path, certificate: bool = False) -> VerificationKey:
    """A PEM public key, or the key of an X.509 certificate (PEM or DER). The certificate's chain is not
    checked: the ARS gives the certificate it trusts."""
    if certificate:
        return _certificate_key(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{path} : clé publique PEM illisible ({exc}).") from None
    if not isinstance(key, PublicKey):
        raise _unsupported(path, key)
    return VerificationKey(key, f"clé publique {path.name}")


def _certificate_key(path: Path) -> VerificationKey:
    try:
        data = path.read_bytes()
        cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
        key = cert.public_key()
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{path} : certificat X.509 illisible ({exc}).") from None
    if not isinstance(key, PublicKey):
        raise _unsupported(path, key)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    period = f"valide du {start:{_DATE_FORMAT}} au {end:{_DATE_FORMAT}}"
    now = datetime.now(timezone.utc)
    note = "" if start <= now <= end else f"Certificat hors de sa période de validité ({period})."
    return VerificationKey(key, f"certificat « {cert.subject.rfc4514_string()} », {period}", note)


def _unsupported(path: Path, key: object) -> KeyFileError:
    return KeyFileError(f"{path} : clé {type(key).__name__} ; attendu : Ed25519, courbe elliptique ou RSA.")


def sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sign_pack(pack: Path, key: PrivateKey) -> None:
    """Add the detached signature of the manifest to a pack the harness has just written (trusted input)."""
    with zipfile.ZipFile(pack, "a") as archive:
        signature = sign(key, archive.read(MANIFEST))
        info = zipfile.ZipInfo(SIGNATURE, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, signature)


@dataclass(frozen=True)
class Replay:
    """What the offline checks are run again with, beside the documents: the official artefacts are not
    in the pack; give the same ones as the run (their versions are in its manifest)."""

    referential_cda: str | None = None
    value_sets: str | None = None
    catalogue_dirs: tuple[str, ...] = ()  # the run's extra --catalogue folders, if it had any


def verify_pack(
    path: Path,
    key: VerificationKey | None = None,
    replay: Replay = Replay(),
    progress: Progress | None = None,
    limits: ZipLimits = PACK_LIMITS,
) -> Verification:
    """Every discrepancy between the pack's files, its manifest, its report and the checks run again."""
    result = Verification(str(path))
    try:
        if path.stat().st_size > limits.max_total_bytes:
            raise ZipProblem(f"Paquet de {path.stat().st_size} octets, au-delà de {limits.max_total_bytes} octets.")
        pack = SafeZip(path.read_bytes(), limits)
    except ZipProblem as exc:
        result.add("paquet", exc.member or path.name, f"Paquet refusé : {exc.message}")
        return result
    manifest_bytes, digests = _manifest(pack, result)
    if digests is None:
        return result
    _check_signature(pack, manifest_bytes, key, result)
    # No word that may announce a secret in the folder's name (« verifier » does): the replay would mask
    # every scenario whose subject names it, three times the work.
    with tempfile.TemporaryDirectory(prefix="dui-conformance-rejeu-") as tmp:
        documents = Path(tmp) / DOCUMENTS
        report_bytes = _check_files(pack, digests, documents, result)
        run = _report(report_bytes, result) if report_bytes is not None else None
        if run is not None:
            _replay(run, documents, replay, progress, result)
    return result


def _manifest(pack: SafeZip, result: Verification) -> tuple[bytes, dict[str, str] | None]:
    """The manifest's bytes (what the signature covers) and its file → SHA-256 table, None when unusable."""
    if MANIFEST not in pack.names():
        result.add("paquet", MANIFEST, "Manifeste absent : aucune empreinte à laquelle comparer les fichiers.")
        return b"", None
    try:
        data = pack.read(MANIFEST)
        manifest = json.loads(data)
    except ZipProblem as exc:
        result.add("paquet", MANIFEST, exc.message)
        return b"", None
    except (ValueError, RecursionError) as exc:
        result.add("paquet", MANIFEST, f"Manifeste illisible : {exc}.")
        return b"", None
    digests = manifest.get("sha256") if isinstance(manifest, dict) else None
    if not isinstance(digests, dict) or not all(
        isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v) for v in digests.values()
    ):
        result.add("paquet", MANIFEST, "Manifeste sans table « sha256 » (nom de fichier → empreinte SHA-256).")
        return data, None
    execution = manifest.get("execution")
    result.run = dict(execution) if isinstance(execution, dict) else {}
    tool = manifest.get("outil")
    if isinstance(tool, dict) and tool.get("version") != __version__:
        result.notes.append(
            f"Paquet écrit par dui-conformance {tool.get('version')}, vérifié avec {__version__} : une règle "
            "changée entre ces versions change aussi un verdict."
        )
    for artefact in manifest.get("artefacts") or []:
        if isinstance(artefact, dict):
            result.notes.append(f"Artefact de l'exécution : {artefact.get('name')} ({artefact.get('version')}).")
    return data, digests


def _check_signature(pack: SafeZip, manifest: bytes, key: VerificationKey | None, result: Verification) -> None:
    signed = SIGNATURE in pack.names()
    if key is None:
        result.signature = "non vérifiée" if signed else "absente"
        return
    result.signer = key.description
    if key.note:
        result.notes.append(key.note)
    if not signed:
        result.add(
            "signature",
            SIGNATURE,
            f"Paquet non signé : aucune signature du manifeste à vérifier avec la {key.description}.",
        )
        return
    try:
        signature = pack.read(SIGNATURE)
    except ZipProblem as exc:
        result.add("signature", SIGNATURE, exc.message)
        result.signature = "invalide"
        return
    if key.verifies(signature, manifest):
        result.signature = "valide"
        return
    result.signature = "invalide"
    result.add(
        "signature",
        SIGNATURE,
        f"Signature invalide pour la {key.description} : le manifeste a changé depuis sa signature, ou une "
        "autre clé l'a signé.",
    )


def _check_files(pack: SafeZip, digests: dict[str, str], documents: Path, result: Verification) -> bytes | None:
    """Each file against its SHA-256; the documents are written under ``documents`` for the replay. Returns
    report.json's bytes (None when absent or unreadable)."""
    report = None
    names = pack.names()
    for name in names:
        if name in (MANIFEST, SIGNATURE):
            continue
        try:
            data = pack.read(name)
        except ZipProblem as exc:
            result.add("paquet", name, exc.message)
            continue
        result.files += 1
        found, expected = hashlib.sha256(data).hexdigest(), digests.get(name)
        if expected is None:
            result.add("fichier", name, "Fichier ajouté : absent du manifeste.")
        elif found != expected:
            result.add("fichier", name, f"Fichier modifié : SHA-256 {found} trouvé ; {expected} attendu (manifeste).")
        if name == REPORT:
            report = data
        elif name.startswith(DOCUMENTS):
            _extract(documents, name[len(DOCUMENTS) :], data, result)
    for name in sorted(set(digests) - set(names)):
        result.add("fichier", name, "Fichier supprimé : listé dans le manifeste, absent du paquet.")
    return report


def _extract(documents: Path, relative: str, data: bytes, result: Verification) -> None:
    """One document into the private folder (SafeZip refused absolute, ``..`` and backslashed names)."""
    target = documents / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as exc:
        result.add("paquet", DOCUMENTS + relative, f"Document impossible à écrire pour la réexécution : {exc}.")


def _report(data: bytes, result: Verification) -> RunResult | None:
    """report.json as the run it describes; the verdict it states is compared with the one its requirements
    give and with the manifest's (``RunResult.from_dict`` recomputes the verdict, never reads it)."""
    try:
        raw = json.loads(data)
        version = str(raw.get("schema_version", ""))
        if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            result.add(
                "paquet", REPORT, f"Version de schéma {version or 'absente'} trouvée ; {SCHEMA_VERSION} attendue."
            )
            return None
        run = RunResult.from_dict(raw)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        result.add("paquet", REPORT, f"report.json illisible : {type(exc).__name__} {exc}.")
        return None
    wrong = _mistyped(run)
    if wrong:
        result.add("paquet", REPORT, f"report.json illisible : {wrong} d'un autre type que dans son schéma.")
        return None
    stated = raw.get("verdict")
    if stated != run.verdict:
        result.add(
            "verdict", REPORT, f"Verdict « {stated} » écrit dans report.json ; « {run.verdict} » selon ses exigences."
        )
    for key, value in (
        ("run_id", run.run_id),
        ("profil", run.profile),
        ("environnement", run.environment),
        ("vague", run.wave),
        ("mode", run.mode),
        ("verdict", stated),
    ):
        if key in result.run and result.run[key] != value:
            result.add(
                "verdict", MANIFEST, f"{key} « {result.run[key]} » dans le manifeste ; « {value} » dans report.json."
            )
    return run


def _mistyped(run: RunResult) -> str:
    """Where report.json has, for a value the replay reads, another type than report.schema.json gives ("" when
    nowhere). Not the whole schema: jsonschema over every finding takes several times as long as the replay."""
    heads = (run.run_id, run.mode, run.profile, run.environment, *run.inputs)
    if not all(isinstance(value, str) for value in heads) or type(run.wave) is not int:
        return "un réglage ou une entrée de l'exécution"
    for index, req in enumerate(run.requirements):
        if not isinstance(req.id, str) or not all(isinstance(f.message, str) for f in req.findings):
            return f"requirements[{index}]"
    for index, scenario in enumerate(run.scenarios):
        texts = (scenario.subject, *scenario.requirements, *(f.requirement for f in scenario.findings))
        if not all(isinstance(text, str) for text in texts):
            return f"scenarios[{index}]"
    return ""


def _replay(run: RunResult, documents: Path, replay: Replay, progress: Progress | None, result: Verification) -> None:
    """The offline checks again on the packed documents, compared with the report."""
    documents = documents.resolve()
    if run.interrupted:
        result.add("verdict", REPORT, "Exécution interrompue : rapport partiel, ses verdicts ne sont pas comparables.")
        return
    for name, value, allowed in (
        ("profil", run.profile, PROFILES),
        ("environnement", run.environment, ENVIRONMENTS),
        ("vague", run.wave, WAVES),
    ):
        if value not in allowed:
            result.add("paquet", REPORT, f"{name} « {value} » trouvé ; attendu : {', '.join(map(str, allowed))}.")
            return
    reported = {s for s in subjects(run.scenarios) if s != LIVE_SUBJECT}
    if not run.inputs or not reported:
        result.notes.append("Aucun document dans l'exécution : rien à réexécuter hors ligne.")
        return
    root = documents_root(run.inputs)
    # Under the documents' folder whatever report.json says: root is the inputs' common folder.
    local = [documents / os.path.relpath(os.path.abspath(original), root) for original in run.inputs]
    inputs = [str(path) for path in local if path.exists()]
    if not inputs:
        result.add(
            "fichier",
            DOCUMENTS,
            f"Aucun des documents de l'exécution dans le paquet ({len(reported)} jugé(s) dans report.json) : "
            "verdicts non réexécutables (paquet écrit avant que les paquets ne contiennent les documents ?).",
        )
        return
    selection = _selection(run)
    if selection:
        result.notes.append(f"Exécution restreinte par --exigence à : {', '.join(selection)} (lu dans report.json).")
    settings = RunSettings(
        mode="check",
        inputs=inputs,
        profile=run.profile,
        environment=run.environment,
        phases=[OFFLINE],
        requirements=selection,
        wave=run.wave,
        catalogue_dirs=list(replay.catalogue_dirs),
        referential_cda=replay.referential_cda,
        value_sets=replay.value_sets,
    )
    again = execute(Execution(settings, progress=progress))
    if again.interrupted:  # Ctrl-C: a partial replay proves nothing
        raise KeyboardInterrupt
    _compare(_without_unknown(run, again, replay, result), again, root, documents, result)


def _without_unknown(run: RunResult, again: RunResult, replay: Replay, result: Verification) -> RunResult:
    """The run without the requirements that the replay's catalogue does not know and did not judge: those of an
    extra ``--catalogue`` folder the run read and the pack does not hold. Said in a note, not a discrepancy: a
    requirement the replay knows is still compared, so a failure cannot be hidden under an unknown id."""
    known = {r.id for r in load_catalogue(replay.catalogue_dirs)} | {r.id for r in again.requirements}
    unknown = sorted({r.id for r in run.requirements} - known)
    if not unknown:
        return run
    result.notes.append(
        f"{len(unknown)} exigence(s) de report.json inconnue(s) du catalogue de la réexécution ({', '.join(unknown)}) "
        ": d'un dossier --catalogue de l'exécution, que le paquet ne contient pas et que son manifeste ne nomme pas "
        "(ou d'une autre version de l'outil). Non rejouées, elles ne sont pas comparées, et le verdict est comparé "
        "sans elles ; redonnez ce dossier avec --catalogue pour les comparer."
    )
    return replace(run, requirements=[r for r in run.requirements if r.id not in unknown])


def _selection(run: RunResult) -> list[str]:
    """The ``--exigence`` selection of the run: the requirements it did not leave out for that reason."""
    left_out = {
        r.id
        for r in run.requirements
        if r.outcome is Outcome.OMIT and any(SELECTION_REASON in f.message for f in r.findings)
    }
    return [r.id for r in run.requirements if r.id not in left_out] if left_out else []


def _compare(run: RunResult, again: RunResult, root: str, documents: Path, result: Verification) -> None:
    before = per_document(run, {s: os.path.relpath(s, root) for s in subjects(run.scenarios) if s != LIVE_SUBJECT})
    after = per_document(again, {s: os.path.relpath(s, documents) for s in subjects(again.scenarios)})
    before = {k: v for k, v in before.items() if k[0] != LIVE_SUBJECT}
    live = {
        rid
        for s in run.scenarios
        if s.subject == LIVE_SUBJECT
        for rid in (*s.requirements, *(f.requirement for f in s.findings))
    }
    docs_before, docs_after = {d for d, _ in before}, {d for d, _ in after}
    result.documents = len(docs_after)
    for doc in sorted(docs_before - docs_after):
        result.add("verdict", doc, "Document jugé dans report.json, absent de la réexécution (retiré du paquet ?).")
    for doc in sorted(docs_after - docs_before):
        result.add("verdict", doc, "Document du paquet que report.json ne juge pas.")
    common = docs_before & docs_after
    for doc, rid in sorted({k for k in (*before, *after) if k[0] in common}):
        was, now = before.get((doc, rid)), after.get((doc, rid))
        if was != now:
            result.add("verdict", f"{rid} — {doc}", f"{_label(was)} dans report.json ; {_label(now)} à la réexécution.")
    offline_only = run.mode == "check"
    if offline_only and live:
        result.add(
            "verdict",
            LIVE_SUBJECT,
            f"Scénarios en direct trouvés ({', '.join(sorted(live))}) ; attendu : aucun dans une exécution check.",
        )
    elif not offline_only:
        result.notes.append(
            f"Exécution avec une phase directe : {len(live)} exigence(s) décidée(s) en direct, non rejouables hors "
            "ligne ; les autres sont comparées sur leurs documents, le verdict n'est pas recalculé."
        )
    reported = {r.id: r.outcome for r in run.requirements}
    replayed = {r.id: r.outcome for r in again.requirements}
    judged = {rid for _, rid in (*before, *after)}
    for rid in sorted(set(reported) | set(replayed)):
        if not offline_only and (rid in live or rid not in judged):
            continue
        result.requirements += 1
        if reported.get(rid) != replayed.get(rid):
            result.add(
                "verdict",
                rid,
                f"{_label(reported.get(rid))} dans report.json ; {_label(replayed.get(rid))} à la réexécution.",
            )
    if offline_only and run.verdict != again.verdict:
        result.add("verdict", "verdict", f"« {run.verdict} » dans report.json ; « {again.verdict} » à la réexécution.")


def _label(outcome: Outcome | None) -> str:
    return outcome.label if outcome is not None else "absente"
