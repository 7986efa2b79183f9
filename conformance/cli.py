"""``dui-conformance``: the command line (messages in French).

Exit codes, as Inferno's: 0 conforme (every blocking requirement passes), 3 non conforme or
non concluant (a blocking requirement fails or stays undecided), 2 usage error, 4 harness error.
``financement``: 0 eligible, 3 not eligible, 2 bad input; ``usage``: 0 usage criteria of the last tranche
met by every funded ESMS under real (not example) targets, 3 otherwise, 2 bad input; ``verifier``: 0 the
evidence pack agrees with itself and with the checks run again, 3 some file or verdict differs (or the pack
is refused), 2 bad input.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from . import __version__
from .execution import ExecutorError
from .live.config import ConfigError
from .model import (
    EXIT_HARNESS,
    EXIT_INTERRUPTED,
    EXIT_NOT_CONFORMANT,
    EXIT_OK,
    EXIT_USAGE,
    HarnessError,
    Outcome,
    RunResult,
    exit_code,
)
from .requirements import PROFILES, Requirement, load_catalogue
from .requirements.catalogue import SERVICES, WAVES, Catalogue, CatalogueError, check_wave
from .requirements.coverage import Coverage, scan_features
from .requirements.links import (
    RequirementLink,
    exercising_tests,
    link_requirements,
    negative_proofs,
    read_test_sources,
    undeclared,
)
from .requirements.waves import wave_referential
from .runner import FEATURES_DIR, Execution, execute
from .runner import Progress as ProgressCallbacks
from .settings import LIVE, OFFLINE, REPORT_FORMATS, RunSettings

if TYPE_CHECKING:
    from .funding import InputError
    from .verify import Verification

# Bound to the real stderr now: the runner redirects sys.stderr while pytest runs.
console = Console(file=sys.stderr)
_STYLE = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.ADVISORY: "cyan",
    Outcome.SKIP: "yellow",
    Outcome.OMIT: "dim",
    Outcome.ERROR: "bold magenta",
    Outcome.NOT_RUN: "dim",
}


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        console.print(f"[red]Erreur d'utilisation :[/red] {escape(message)}")
        raise SystemExit(EXIT_USAGE)


def _execution(parser: argparse.ArgumentParser) -> None:
    """Where and how large the documents are read: ``check`` and ``usage`` share the executors."""
    parser.add_argument(
        "--taille-max",
        dest="max_mb",
        type=float,
        default=200.0,
        metavar="MO",
        help="Taille maximale d'un document analysé, en mégaoctets (défaut : 200).",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        help="Processus parallèles pour les documents (0 : tous les cœurs dès que l'export est "
        "assez grand pour que cela paie).",
    )
    parser.add_argument(
        "--executor",
        "--executeur",
        dest="executor",
        default=None,
        metavar="EXÉCUTEUR",
        help="Où évaluer les documents : local (défaut), dask-local (grappe Dask locale) ou "
        "dask://HÔTE:8786 (grappe Dask existante ; pip install 'dui-conformance[distribue]').",
    )


def _wave(value: str) -> int:
    """``--vague``: a Ségur wave the catalogue knows (French error otherwise)."""
    try:
        return check_wave(int(value))
    except (ValueError, CatalogueError):
        raise argparse.ArgumentTypeError(
            f"vague « {value} » inconnue : attendue {' ou '.join(map(str, WAVES))}."
        ) from None


def _wave_option(parser: argparse.ArgumentParser, help_text: str, default: int | None) -> None:
    parser.add_argument("--vague", dest="wave", type=_wave, default=default, metavar="N", help=help_text)


def _common(parser: argparse.ArgumentParser) -> None:
    _wave_option(
        parser,
        "Vague du Ségur jugée (1 ou 2) : seules ses exigences sont évaluées et le rapport nomme son référentiel "
        "(défaut : 1, tant que le REM DUI vague 2 n'est pas officiel ; la vague 2 juge sur sa prépublication).",
        1,
    )
    parser.add_argument(
        "--profil",
        "--profile",
        dest="profile",
        choices=PROFILES,
        default="recette",
        help="Niveau de préparation qui fixe les exigences bloquantes (défaut : recette).",
    )
    parser.add_argument(
        "--environnement",
        dest="environment",
        choices=("test", "production"),
        default="test",
        help="Environnement attendu des identités INS (OID de test ou de production).",
    )
    parser.add_argument(
        "--nil-mss",
        dest="mss_nil",
        default=None,
        metavar="NIL",
        help="Numéro de référencement Ségur du logiciel attendu dans l'en-tête X-MSS-NIL de chaque message "
        "MSSanté (vague 2, SC.MSS/CONF.16 ; défaut : toute valeur non vide).",
    )
    parser.add_argument(
        "--report-dir",
        "--rapport",
        dest="report_dir",
        type=Path,
        help="Dossier du rapport (défaut : reports/<exécution>).",
    )
    parser.add_argument(
        "--formats",
        default=",".join(REPORT_FORMATS),
        help=f"Formats du rapport, séparés par des virgules ({', '.join(REPORT_FORMATS)}).",
    )
    parser.add_argument(
        "--exigence",
        dest="requirements",
        action="append",
        default=[],
        metavar="ID",
        help="N'exécuter que les scénarios de cette exigence (répétable).",
    )
    parser.add_argument(
        "--catalogue",
        dest="catalogue_dirs",
        action="append",
        default=[],
        metavar="DOSSIER",
        help="Dossier de catalogues d'exigences supplémentaires (*.toml).",
    )
    parser.add_argument(
        "--referentiel-cda",
        dest="referential_cda",
        metavar="DOSSIER",
        help="Copie locale du paquet officiel TestContenuCDA (XSD, schématrons, jeux de valeurs).",
    )
    parser.add_argument(
        "--jeux-de-valeurs", dest="value_sets", metavar="DOSSIER", help="Dossier de jeux de valeurs SVS (CI-SIS)."
    )
    _execution(parser)
    parser.add_argument(
        "--grappe",
        dest="cluster_file",
        type=Path,
        metavar="GRAPPE.yaml",
        help="Fichier de grappe ESMS numérique : le rapport montre la conséquence pour le financement "
        "(éligibilité, montants, condition de conformité de la dernière tranche ; voir "
        "docs/financement.md).",
    )
    parser.add_argument(
        "--attendus",
        dest="expected",
        type=Path,
        metavar="FICHIER",
        help="Échecs attendus (TOML : exigence, raison, lien) : l'exécution n'échoue que sur un échec "
        "inattendu ou sur un attendu qui ne se produit plus (voir docs/ci.md).",
    )
    parser.add_argument(
        "--signer-preuves",
        dest="signing_key",
        type=Path,
        metavar="CLE.pem",
        help="Clé privée PEM non chiffrée (Ed25519, courbe elliptique ou RSA) : signe le manifeste de "
        "evidence.zip (MANIFEST.json.sig), que « verifier --cle/--certificat » contrôle.",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="Pas de barre de progression.")


def _official_options(parser: argparse.ArgumentParser) -> None:
    """The view by official id of the report, keyed on a vendor's mapping or a published REM (as ``requirements``)."""
    parser.add_argument(
        "--correspondances",
        dest="official_file",
        metavar="FICHIER.toml",
        help="Vue du rapport par identifiant officiel : correspondance exigence → identifiant officiel de ce fichier "
        "(même forme que requirements/official.toml) au lieu de l'intégrée.",
    )
    parser.add_argument(
        "--referentiel-rem",
        dest="rem",
        metavar="FICHIER.xlsx",
        help="Vue du rapport par identifiant officiel sur les identifiants d'un REM publié (colonnes ID, Exigence, "
        "VA N-1…), rem-preuves.xlsx compris.",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchParser(
        prog="dui-conformance",
        description="Harnais de conformité Ségur des DUI médico-sociaux (INS, DMP, MSSanté, PSC).",
    )
    parser.add_argument("--version", action="version", version=f"dui-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser)

    check = sub.add_parser("check", help="Vérifier des documents exportés (hors ligne).")
    check.add_argument("paths", nargs="+", metavar="CHEMIN", help="Fichiers ou dossiers de documents exportés.")
    _common(check)
    _official_options(check)

    run = sub.add_parser("run", help="Vérifier un DUI en direct face aux services nationaux simulés.")
    run.add_argument("--dui", required=True, type=Path, metavar="CONFIG", help="Configuration TOML du DUI testé.")
    run.add_argument("paths", nargs="*", metavar="CHEMIN", help="Documents exportés à vérifier en plus.")
    run.add_argument(
        "--sortie-services",
        dest="services_file",
        type=Path,
        default=Path("services-simules.json"),
        help="Fichier où écrire les adresses des services simulés (lu par le build de test du DUI).",
    )
    _common(run)
    _official_options(run)

    demo = sub.add_parser("demo", help="Démonstration : DUI de référence + services simulés + documents fournis.")
    demo.add_argument(
        "--defaut",
        dest="defects",
        action="append",
        default=[],
        metavar="NOM",
        help="Activer un défaut du DUI de référence (répétable ; voir --liste-defauts).",
    )
    demo.add_argument("--liste-defauts", action="store_true", help="Lister les défauts activables et quitter.")
    _common(demo)

    req = sub.add_parser("requirements", help="Lister le catalogue d'exigences et sa couverture.")
    req.add_argument("--service", choices=SERVICES, help="Limiter à un service socle.")
    req.add_argument(
        "--coverage",
        "--couverture",
        dest="coverage",
        action="store_true",
        help="Pour chaque exigence : scénarios, code qui la décide, preuve négative, tests ; lister celles sans "
        "scénario (code 3 si l'une d'elles est bloquante).",
    )
    req.add_argument(
        "--format",
        choices=("texte", "json"),
        default="texte",
        help="Format de la liste, de --couverture et de --referentiel (défaut : texte ; json sur la sortie standard).",
    )
    req.add_argument(
        "--referentiel",
        dest="referential",
        choices=("va2",),
        help="Lister, par famille, les identifiants officiels du référentiel (va2 : services socle SC.* de la "
        "vague 2, projet 2022, provisoire) qu'aucune exigence ne couvre.",
    )
    req.add_argument(
        "--referentiel-rem",
        dest="rem",
        metavar="FICHIER.xlsx",
        help="Idem, avec pour liste officielle les identifiants d'un REM publié (colonnes ID, Exigence, VA N-1…).",
    )
    req.add_argument(
        "--correspondances",
        dest="official_file",
        metavar="FICHIER.toml",
        help="Remplacer la correspondance intégrée exigence → identifiant officiel par un fichier de même forme.",
    )
    req.add_argument("--profil", "--profile", dest="profile", choices=PROFILES, default="homologation")
    req.add_argument("--catalogue", dest="catalogue_dirs", action="append", default=[], metavar="DOSSIER")
    _wave_option(
        req,
        "Limiter la liste et --couverture aux exigences que juge cette vague du Ségur (1 ou 2) ; avec --referentiel "
        "ou --referentiel-rem, un identifiant officiel n'est couvert que par une exigence de cette vague.",
        None,
    )

    compare = sub.add_parser("compare", help="Comparer deux report.json : régressions, corrections, apparitions.")
    compare.add_argument("before", type=Path, metavar="A", help="report.json de référence.")
    compare.add_argument("after", type=Path, metavar="B", help="report.json à juger ; code 3 si régression.")
    compare.add_argument(
        "--format", choices=("texte", "json"), default="texte", help="Format de sortie (défaut : texte)."
    )

    mocks = sub.add_parser("mocks", help="Démarrer les services nationaux simulés jusqu'à Ctrl-C.")
    mocks.add_argument(
        "--sortie",
        type=Path,
        default=Path("services-simules.json"),
        help="Fichier où écrire les adresses des services simulés.",
    )
    mocks.add_argument(
        "--port",
        dest="ports",
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help="Port fixe d'un service simulé, ex. insi=18001 (répétable ; défaut : port libre).",
    )
    mocks.add_argument(
        "--pki",
        type=Path,
        metavar="DOSSIER",
        help="Dossier de la PKI de test, gardé entre deux lancements : fichiers repris s'ils y sont, "
        "créés sinon (le DUI y prend la racine et son certificat client).",
    )

    funding = sub.add_parser("financement", help="Éligibilité d'une grappe ESMS numérique, montants et tranches.")
    funding.add_argument(
        "clusters",
        nargs="+",
        type=Path,
        metavar="GRAPPE.yaml",
        help="Fichier(s) de grappe (YAML ou JSON) ; plusieurs : classement dans l'enveloppe.",
    )
    funding.add_argument(
        "--format",
        dest="output",
        choices=("texte", "json"),
        default="texte",
        help="Sortie lisible (défaut) ou JSON sur la sortie standard.",
    )
    funding.add_argument(
        "--rapport",
        dest="report",
        type=Path,
        metavar="REPORT.json",
        help="report.json d'une exécution : conditions de conformité (DMP, MSSanté).",
    )
    funding.add_argument(
        "--usage",
        type=Path,
        metavar="USAGE.json",
        help="Résultat de « usage --format json » : critères d'usage de la dernière tranche.",
    )
    funding.add_argument(
        "--campagne",
        dest="campaign",
        metavar="ID",
        help="Jeu de règles à appliquer, à la place de la campagne du fichier de grappe "
        "(amorcage-2021, generalisation-2022-2025 ou celui d'une ARS).",
    )
    funding.add_argument(
        "--parametres",
        dest="parameters",
        type=Path,
        metavar="PARAMETRES.toml",
        help="Valeurs, fixées par l'ARS, des paramètres qu'aucune source ne fixe (docs/financement.md).",
    )
    funding.add_argument(
        "--campagnes",
        dest="ruleset_dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DOSSIER",
        help="Dossier de jeux de règles supplémentaires (*.toml), ex. ceux d'une ARS.",
    )
    funding.add_argument(
        "--enveloppe",
        type=int,
        metavar="EUROS",
        help="Enveloppe régionale pour le classement (défaut : celle du jeu de règles, s'il en donne une).",
    )

    usage = sub.add_parser(
        "usage",
        help="Critères d'usage de la dernière tranche : indicateurs par ESMS, calculés des preuves ou déclarés, "
        "et cibles de l'ARS.",
    )
    usage.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SOURCE",
        help="Dossiers ou fichiers de preuves, reconnus par leur contenu (documents CDA, requêtes ITI-41, "
        "IHE_XDM.ZIP, messages .eml, identités FHIR et HL7 v2), report.json ou evidence.zip d'une exécution "
        "directe, exports d'usage du DUI (.csv, .json : déclaratif).",
    )
    usage.add_argument(
        "--cibles",
        dest="targets",
        required=True,
        type=Path,
        metavar="CIBLES.yaml",
        help="Cibles d'usage fixées par l'ARS (convention de financement).",
    )
    usage.add_argument(
        "--grappe",
        dest="cluster",
        type=Path,
        metavar="GRAPPE.yaml",
        help="Fichier de grappe : ESMS attendus, leurs boîtes aux lettres MSSanté (bal), ESMS financés ; "
        "tout FINESS hors grappe est une erreur (export) ou non attribuable (preuve).",
    )
    usage.add_argument("--format", dest="output", choices=("texte", "json"), default="texte")
    usage.add_argument("--campagnes", dest="ruleset_dirs", action="append", type=Path, default=[], metavar="DOSSIER")
    _execution(usage)

    verify = sub.add_parser(
        "verifier",
        help="Vérifier un paquet de preuves (evidence.zip) : empreintes, verdicts réexécutés, signature.",
    )
    verify.add_argument("pack", type=Path, metavar="PREUVES.zip", help="Paquet de preuves (evidence.zip).")
    trusted = verify.add_mutually_exclusive_group()
    trusted.add_argument(
        "--cle",
        dest="public_key",
        type=Path,
        metavar="CLE_PUBLIQUE.pem",
        help="Clé publique PEM du signataire : la signature du manifeste est vérifiée (paquet non signé : code 3).",
    )
    trusted.add_argument(
        "--certificat",
        dest="certificate",
        type=Path,
        metavar="CERT.pem",
        help="Certificat X.509 du signataire (PEM ou DER) : sa clé vérifie la signature du manifeste.",
    )
    verify.add_argument(
        "--referentiel-cda",
        dest="referential_cda",
        metavar="DOSSIER",
        help="Le référentiel TestContenuCDA de l'exécution, si elle en avait un (non contenu dans le paquet).",
    )
    verify.add_argument(
        "--jeux-de-valeurs",
        dest="value_sets",
        metavar="DOSSIER",
        help="Les jeux de valeurs SVS de l'exécution, si elle en avait (non contenus dans le paquet).",
    )
    verify.add_argument(
        "--catalogue",
        dest="catalogue_dirs",
        action="append",
        default=[],
        metavar="DOSSIER",
        help="Les dossiers --catalogue de l'exécution, si elle en avait (non contenus dans le paquet) ; sans eux, "
        "leurs exigences ne sont pas comparées, et verifier le dit.",
    )
    verify.add_argument(
        "--format",
        dest="output",
        choices=("texte", "json"),
        default="texte",
        help="Sortie lisible (défaut) ou JSON sur la sortie standard.",
    )
    verify.add_argument("--quiet", "-q", action="store_true", help="Pas de barre de progression.")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with _sigterm_as_ctrl_c():
        return _run_command(args)


@contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (what CI runners and ``timeout`` send) stops a command as Ctrl-C does: partial report marked
    *interrompu*, workers ended, temporary files and the demo's PKI removed by the code that made them. The
    signal goes to whatever handles Ctrl-C at that moment (a collector deferring it while it writes a line)."""
    if threading.current_thread() is not threading.main_thread():  # signals are the main thread's
        yield
        return

    def as_ctrl_c(signum, frame) -> None:
        handler = signal.getsignal(signal.SIGINT)
        if not callable(handler):  # Ctrl-C ignored (a background job): SIGTERM still stops the run
            raise KeyboardInterrupt
        handler(signal.SIGINT, frame)

    previous = signal.signal(signal.SIGTERM, as_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_command(args) -> int:
    try:
        return _COMMANDS[args.command](args)
    except HarnessError as exc:
        console.print(f"[bold magenta]Erreur du harnais :[/bold magenta] {escape(str(exc))}")
        return EXIT_HARNESS
    except (FileNotFoundError, NotADirectoryError, ConfigError, ExecutorError) as exc:
        console.print(f"[red]Erreur d'utilisation :[/red] {escape(str(exc))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.print("Interrompu.")
        return EXIT_INTERRUPTED
    except _input_error() as exc:  # evaluated only when an exception reaches it
        console.print(f"[red]Entrée invalide[/red] — {escape(str(exc.source))} :")
        for error in exc.errors:
            console.print(f"  • {error}", markup=False, highlight=False)
        return EXIT_USAGE


def _input_error() -> type[InputError]:
    """Bad funding or usage input; :mod:`.funding` (jsonschema, FHIR models) is slow to load, not needed to start."""
    from .funding import InputError

    return InputError


def _settings(args, mode: str, inputs: list[str], phases: list[str]) -> RunSettings:
    for path in inputs:
        if not Path(path).exists():
            raise FileNotFoundError(f"Chemin introuvable : {path}")
    return RunSettings(
        mode=mode,
        inputs=[str(Path(p).resolve()) for p in inputs],
        profile=args.profile,
        environment=args.environment,
        phases=phases,
        requirements=args.requirements,
        wave=args.wave,
        catalogue_dirs=args.catalogue_dirs,
        referential_cda=args.referential_cda,
        value_sets=args.value_sets,
        max_bytes=int(args.max_mb * 1024 * 1024),
        mss_nil=args.mss_nil,
    )


def _execute(args, settings: RunSettings, live_env=None) -> int:
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(REPORT_FORMATS)
    if unknown:
        console.print(f"[red]Erreur d'utilisation :[/red] formats inconnus {escape(str(sorted(unknown)))}")
        return EXIT_USAGE
    from .expectations import ExpectationsError, load_expectations, reconcile
    from .report import ReportContext, write_reports

    catalogue = load_catalogue(settings.catalogue_dirs)
    expectations = None
    if args.expected is not None:
        try:
            expectations = load_expectations(args.expected, {r.id for r in catalogue})
        except ExpectationsError as exc:
            console.print(f"[red]Erreur d'utilisation :[/red] {escape(str(exc))}", highlight=False)
            return EXIT_USAGE
    keying = None
    if getattr(args, "official_file", None) or getattr(args, "rem", None):  # check and run (not demo)
        from .report.official import load_keying
        from .requirements.official import OfficialError
        from .requirements.rem import RemError

        try:
            keying = load_keying(catalogue, args.official_file, args.rem)
        except (OfficialError, RemError) as exc:
            console.print(f"[red]Erreur d'utilisation :[/red] {escape(str(exc))}", highlight=False)
            return EXIT_USAGE
    cluster = None
    if args.cluster_file is not None:  # a bad cluster file is a usage error before anything runs
        from .funding import get_ruleset, load_cluster

        cluster = load_cluster(args.cluster_file)
        ruleset = get_ruleset(cluster["campagne"], [])
    signing_key = None
    if args.signing_key is not None:  # a bad key is a usage error before anything runs
        from .verify import KeyFileError, load_signing_key

        if "evidence" not in formats:
            console.print("[red]Erreur d'utilisation :[/red] --signer-preuves signe evidence.zip, absent de --formats.")
            return EXIT_USAGE
        try:
            signing_key = load_signing_key(args.signing_key)
        except KeyFileError as exc:
            console.print(f"[red]Erreur d'utilisation :[/red] {escape(str(exc))}", highlight=False)
            return EXIT_USAGE
    with ExitStack() as stack:
        run = execute(
            Execution(
                settings,
                jobs=args.jobs,
                live_env=live_env,
                progress=_progress(stack, args.quiet),
                artefacts=_artefacts(settings),
                executor=args.executor,
            )
        )
    out_dir = args.report_dir or Path("reports") / run.run_id
    with console.status("Écriture du rapport…") if not args.quiet else ExitStack():
        funding = _funding(cluster, ruleset, args.cluster_file, run) if cluster is not None else None
        context = ReportContext(
            catalogue=catalogue.in_wave(run.wave), expectations=expectations, funding=funding, keying=keying
        )
        written = write_reports(run, out_dir, formats, context)
        if signing_key is not None:
            from .verify import SIGNATURE, sign_pack

            sign_pack(written["evidence"], signing_key)
    _summary(run)
    for fmt, path in written.items():
        console.print(f"  {fmt:<9} {path}", markup=False, highlight=False)
    if signing_key is not None:
        console.print(f"  {'signature':<9} {written['evidence']} → {SIGNATURE}", markup=False, highlight=False)
    if run.interrupted:
        console.print("[bold yellow]Exécution interrompue :[/] rapport partiel (documents terminés avant l'arrêt).")
    if expectations is None:
        return exit_code(run)
    reconciliation = reconcile(run, expectations, catalogue)
    console.print(
        f"Échecs attendus : {len(reconciliation.met)} constaté(s), {len(reconciliation.stale)} qui ne se "
        f"produisent plus, {len(reconciliation.unexpected)} échec(s) bloquant(s) inattendu(s), "
        f"{len(reconciliation.other_wave)} hors de la vague {run.wave} jugée — exécution "
        f"{'acceptée' if reconciliation.accepted else 'refusée'}."
    )
    for expectation in reconciliation.stale:
        console.print(
            f"  [yellow]{expectation.requirement} attendu en échec mais non constaté[/] : {expectation.reason}"
        )
    for expectation in reconciliation.other_wave:
        console.print(
            f"  {expectation.requirement} attendu en échec, exigence que la vague {run.wave} ne juge pas (--vague) : "
            "ni constaté ni périmé, sans effet sur cette exécution",
            highlight=False,
        )
    return reconciliation.exit_code


def _progress(stack: ExitStack, quiet: bool) -> ProgressCallbacks:
    """A rich progress bar on stderr for the documents and scenarios of a run, closed with ``stack``."""
    if quiet:
        return ProgressCallbacks()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = stack.enter_context(
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("reste"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
    )
    task = progress.add_task("Documents", total=None)
    return ProgressCallbacks(
        on_total=lambda total: progress.update(task, total=total),
        on_done=lambda nodeid: progress.advance(task),
        on_phase=lambda label: progress.reset(task, total=None, description=label),
    )


def _artefacts(settings: RunSettings) -> list[dict[str, str]]:
    """Versions of the official validation artefacts used, for the report: the value-set lists first."""
    from .cda.valuesets import builtin_path, builtin_version, source_commit

    out = [{"name": "Jeux de valeurs CI-SIS intégrés", "version": builtin_version(), "path": builtin_path()}]
    if settings.value_sets:
        commit, _ = source_commit(Path(settings.value_sets))
        out.append(
            {
                "name": "Jeux de valeurs CI-SIS (--jeux-de-valeurs, prioritaires)",
                "version": commit or "version inconnue",
                "path": str(settings.value_sets),
            }
        )
    if not settings.referential_cda:
        return out
    from .cda import OfficialReferential

    return out + OfficialReferential(settings.referential_cda).artefacts()


def _summary(run: RunResult) -> None:
    from itertools import islice

    from rich.table import Table

    from .results import outcome_counts

    table = Table(title=f"Exigences évaluées — profil {run.profile}, vague {run.wave}", show_lines=False)
    for column in ("Exigence", "Résultat", "Bloquante", "Constatations"):
        table.add_column(column)
    advice = 0
    for req in run.requirements:
        if req.outcome is Outcome.NOT_RUN:
            continue
        counts = outcome_counts(req.findings)  # spooled findings of a large run are counted, not read again
        bad, total = counts[Outcome.FAIL] + counts[Outcome.ERROR], sum(counts.values())
        advice += counts[Outcome.ADVISORY]  # a PEUT's: never a failure, counted apart
        noted = f" dont {bad} en échec" if bad else ""
        noted += f" dont {counts[Outcome.ADVISORY]} avertissement(s)" if counts[Outcome.ADVISORY] else ""
        table.add_row(
            req.id,
            f"[{_STYLE[req.outcome]}]{req.outcome.label}[/]",
            "oui" if req.blocking else "non",
            f"{total}{noted}",
        )
    console.print(table)
    console.print(f"Référentiel jugé : {wave_referential(run.wave).describe()}", markup=False, highlight=False)
    colour = {"conforme": "green", "non conforme": "red", "non concluant": "yellow"}.get(run.verdict, "magenta")
    console.print(
        f"Verdict : [bold {colour}]{run.verdict.upper()}[/] "
        f"({len(run.blocking_failures)} exigence(s) bloquante(s) en échec, "
        f"{len(run.blocking_undecided)} bloquante(s) non décidée(s), "
        f"{len(run.harness_errors)} erreur(s) du harnais)."
    )
    if advice:
        console.print(
            f"{advice} avertissement(s) : exigences PEUT, comptées à part des échecs, sans effet sur le verdict."
        )
    if not run.evaluated_service and not run.harness_errors:
        console.print("Aucune exigence bloquante d'un service socle n'a été évaluée : verdict non concluant.")
    blocking = run.blocking_failures
    failed = ((req.id, f) for req in blocking for f in req.findings if f.outcome is Outcome.FAIL)
    for req_id, finding in islice(failed, 10):
        console.print(
            f"  {req_id} {finding.location.describe()} : {finding.message}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    failures = sum(outcome_counts(req.findings)[Outcome.FAIL] for req in blocking)
    if failures > 10:
        console.print(f"  … et {failures - 10} autre(s) constatation(s) en échec (voir le rapport).")
    for req in run.blocking_undecided[:10]:
        console.print(
            f"  {req.id} {req.outcome.label} : {req.findings[0].message if req.findings else req.statement}",
            markup=False,
            highlight=False,
        )


def cmd_check(args) -> int:
    return _execute(args, _settings(args, "check", args.paths, [OFFLINE]))


def cmd_run(args) -> int:
    from .live.config import DuiConfig
    from .live.environment import LiveEnvironment

    config = DuiConfig.load(args.dui)
    phases = [LIVE] + ([OFFLINE] if args.paths else [])
    with LiveEnvironment(dui_config=config, services_file=args.services_file) as env:
        console.print(f"Services simulés démarrés ; adresses dans {env.services_file}.", markup=False, highlight=False)
        env.preflight()
        return _execute(args, _settings(args, "run", args.paths, phases), env)


def cmd_demo(args) -> int:
    from dui_conformance.mocks.dui import DEFECTS

    from .live.environment import LiveEnvironment

    if args.liste_defauts:
        waves = {r.id: r.waves for r in load_catalogue()}
        for name, defect in DEFECTS.items():
            judged = sorted(r for r in defect.fails if args.wave in waves[r])
            other = sorted(set(defect.fails) - set(judged))
            failing = f"exigences en échec : {', '.join(judged) or 'aucune'}"
            if other:
                failing += f" ; hors de la vague {args.wave} : {', '.join(other)}"
            console.print(f"[bold]{name}[/] — {escape(defect.text)} ({failing})")
        return EXIT_OK
    unknown = set(args.defects) - set(DEFECTS)
    if unknown:
        console.print(
            f"[red]Erreur d'utilisation :[/red] défauts inconnus {escape(str(sorted(unknown)))} ; voir --liste-defauts."
        )
        return EXIT_USAGE
    inputs = [str(p) for p in demo_fixtures()]
    console.print(
        f"Démonstration : DUI de référence{' avec défauts ' + ', '.join(args.defects) if args.defects else ''}, "
        f"services simulés, {len(inputs)} documents fournis."
    )
    with LiveEnvironment(reference_defects=frozenset(args.defects), tls=True) as env:
        return _execute(args, _settings(args, "demo", inputs, [LIVE, OFFLINE]), env)


def demo_fixtures() -> list[Path]:
    """Bundled fixtures flagged ``demo = true`` in their folder's MANIFEST.toml."""
    from .fixtures import iter_manifest

    return [entry.path for entry in iter_manifest() if entry.demo]


_NOT_CHECKS = ("dui_conformance.mocks", "dui_conformance.features", "dui_conformance.fixtures")


def _import_library(path: Iterable[str], prefix: str = "dui_conformance.") -> None:
    """Import every module of the library (not the mocks, the plan or the fixtures): each ``@decides`` then
    stands in :data:`~dui_conformance.decides.DECIDERS`, wherever the check lives."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(path, prefix):
        if info.name not in _NOT_CHECKS and not info.name.endswith(".__main__"):
            module = importlib.import_module(info.name)
            if info.ispkg:
                _import_library(module.__path__, info.name + ".")


def requirement_links(
    catalogue: Catalogue, coverage: Coverage, root: Path | None = None
) -> tuple[list[RequirementLink], dict[str, list[str]], bool]:
    """Every requirement's link (:mod:`.requirements.links`), the registry once the library is imported, and
    whether the tests were read (a source checkout): from the fixtures' manifests and the reference DUI's defects.

    ``root``: the source checkout whose tests are read; by default the folder above the plan's, a checkout when the
    package is installed in editable mode (an installed copy has no tests)."""
    import dui_conformance
    from dui_conformance.mocks.dui import DEFECTS

    from .decides import DECIDERS
    from .fixtures import FIXTURES_DIR, iter_manifest

    _import_library(dui_conformance.__path__)
    # A fixture proves what it fails, and what it leaves undecided: DMP-31 is never failed, only left undecided.
    fixtures = {
        e.path.relative_to(FIXTURES_DIR.parent).as_posix(): e.fails | (e.undecided or frozenset())
        for e in iter_manifest()
    }
    proofs = negative_proofs(fixtures, {name: defect.breaks for name, defect in DEFECTS.items()})
    root = root or FEATURES_DIR.parent
    checkout = (root / "pyproject.toml").is_file() and (root / "tests").is_dir()
    tests = exercising_tests(read_test_sources(root) if checkout else {}, [r.id for r in catalogue], DECIDERS)
    return link_requirements(catalogue, coverage, DECIDERS, proofs, tests), DECIDERS, checkout


def _print_links(links: list[RequirementLink], out: Console) -> None:
    def listed(items: tuple[str, ...]) -> str:
        return escape(" ; ".join(items)) if items else "[red]aucun(e)[/]"

    for link in links:
        out.print(f"[bold]{link.id}[/] · {link.level} · {link.service} — {escape(link.statement)}", highlight=False)
        out.print(f"  scénarios : {listed(link.scenarios)}", markup=False, highlight=False)
        out.print(f"  décidée par : {listed(link.decided_by)}", markup=False, highlight=False)
        out.print(f"  preuve négative : {listed(link.negative_proof)}", markup=False, highlight=False)
        out.print(f"  tests : {listed(link.tests)}", markup=False, highlight=False)
        for gap in link.gaps():
            out.print(f"  [red]DOIT sans {gap}[/]", highlight=False)


def _listed(req: Requirement, args) -> bool:
    """Whether ``requirements`` shows this requirement: its service (``--service``) and wave (``--vague``)."""
    return (not args.service or req.service == args.service) and (not args.wave or args.wave in req.waves)


def cmd_requirements(args) -> int:
    import json
    from dataclasses import replace

    from .requirements.official import OfficialError, format_uncovered, load_official, uncovered_report
    from .requirements.rem import RemError, read_rem

    catalogue = load_catalogue(args.catalogue_dirs)
    try:
        official = load_official(catalogue, args.official_file)
        if args.referential or args.rem:
            # With --vague, as the list: an official id counts as covered only by a requirement that wave judges.
            judged = replace(
                official,
                mappings=tuple(m for m in official.mappings if args.wave in (None, *catalogue[m.requirement].waves)),
            )
            report = uncovered_report(judged, read_rem(args.rem), args.rem) if args.rem else uncovered_report(judged)
    except (OfficialError, RemError) as exc:
        console.print(f"[red]Erreur :[/red] {escape(str(exc))}")
        return EXIT_USAGE
    if args.referential or args.rem:
        wave = (
            f"Couverture par les seules exigences de la vague {args.wave} (--vague {args.wave}) ; "
            "sans --vague, par celles des deux vagues."
        )
        print(
            json.dumps(report | {"vague": args.wave}, ensure_ascii=False, indent=2)
            if args.format == "json"
            else "\n".join([*([wave] if args.wave else []), *format_uncovered(report)])
        )
        return EXIT_OK
    coverage = scan_features(FEATURES_DIR, catalogue)
    rows = [r for r in catalogue if _listed(r, args)]
    if args.format == "json" and not args.coverage:
        listed = [
            {"id": r.id, "service": r.service, "level": r.level, "statement": r.statement, "source": r.source}
            | {"vagues": list(r.waves), "official": [m.to_dict() for m in official.of(r.id)]}
            for r in rows
        ]
        print(json.dumps({"requirements": listed}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if args.coverage:
        links, deciders, checkout = requirement_links(catalogue, coverage)
        shown = [link for link in links if _listed(catalogue[link.id], args)]
        unknown_decided = undeclared(catalogue, deciders)
        if args.format == "json":
            data = {
                "requirements": [
                    link.to_dict() | {"official": [m.to_dict() for m in official.of(link.id)]} for link in shown
                ],
                "unknown_tags": coverage.unknown_tags,
                "unknown_decided": unknown_decided,
                "tests_scanned": checkout,
            }
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            _print_links(shown, Console(soft_wrap=True))
        for rid, names in unknown_decided.items():
            console.print(
                f"[yellow]Exigence {escape(rid)} absente du catalogue[/], déclarée par : {escape(', '.join(names))}"
            )
        gaps = [link for link in shown if link.gaps()]
        console.print(
            f"{len(gaps)} exigence(s) DOIT sans code qui la décide ou sans preuve négative"
            + ("" if checkout else " ; tests non listés hors d'une copie des sources")
            + "."
        )
        missing = [r for r in rows if not coverage.scenarios_by_requirement.get(r.id)]
        blocking = [r for r in missing if r.blocks(args.profile)]
        for req in missing:
            flag = "[red]bloquante[/]" if req.blocks(args.profile) else "non bloquante"
            console.print(f"{req.id} ({flag}) sans scénario : {escape(req.statement)}", highlight=False)
        for tag, where in sorted(coverage.unknown_tags.items()):
            console.print(f"[yellow]Étiquette {escape(tag)} absente du catalogue[/] : {escape(', '.join(where))}")
        console.print(
            f"{len(rows) - len(missing)}/{len(rows)} exigences couvertes par au moins un scénario ; "
            f"{len(blocking)} bloquante(s) (profil {args.profile}) sans scénario."
        )
        return EXIT_NOT_CONFORMANT if blocking or coverage.unknown_tags else EXIT_OK
    from rich.table import Table

    table = Table(title="Catalogue d'exigences" + (f" (vague {args.wave})" if args.wave else ""))
    for column in ("Id", "Service", "Niveau", "Bloquante", "Vagues", "Scénarios", "Officiels", "Exigence"):
        table.add_column(column, overflow="fold")
    for req in rows:
        table.add_row(
            req.id,
            req.service,
            req.level,
            ", ".join(req.blocking) or "—",
            ", ".join(map(str, req.waves)),
            str(len(coverage.scenarios_by_requirement.get(req.id, []))),
            ", ".join(m.official.id for m in official.of(req.id)) or "—",
            req.statement,
        )
    Console().print(table)
    return EXIT_OK


def cmd_compare(args) -> int:
    """Exit 3 on a regression, so that CI can gate on "no new failure"; 2 on an unreadable report."""
    import json

    from .compare import compare
    from .report import load_run

    try:
        result = compare(load_run(args.before), load_run(args.after))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # ReportVersionError and JSON errors are ValueErrors
        console.print(f"[red]Erreur d'utilisation :[/red] rapport illisible : {escape(str(exc))}", highlight=False)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        out = Console()
        for warning in result.warnings:
            out.print(f"[bold yellow]Attention :[/] {escape(warning)}", highlight=False)
        sections = (
            ("Régressions", result.regressed, "red"),
            ("Corrections", result.fixed, "green"),
            ("Exigences apparues", result.appeared, "cyan"),
            ("Exigences disparues", result.disappeared, "cyan"),
        )
        for title, changes, colour in sections:
            out.print(f"[bold {colour}]{title} ({len(changes)})[/]")
            for c in changes:
                where = f" — {c.document}" if c.document else ""
                label = lambda v: Outcome(v).label if v else "absente"  # noqa: E731
                wave = " (jugée par une seule des deux vagues : ni régression ni correction)"
                out.print(
                    f"  {c.requirement}{where} : {label(c.before)} → {label(c.after)}"
                    f"{' (bloquante)' if c.blocking else ''}{wave if c.requirement in result.wave_only else ''}",
                    markup=False,
                    highlight=False,
                )
        for title, docs in (
            ("Documents apparus", result.documents_appeared),
            ("Documents disparus", result.documents_disappeared),
        ):
            out.print(f"[bold cyan]{title} ({len(docs)})[/]")
            for doc in docs:
                out.print(f"  {doc}", markup=False, highlight=False)
    return EXIT_NOT_CONFORMANT if result.has_regression else EXIT_OK


def cmd_mocks(args) -> int:
    import time

    from .live.environment import LiveEnvironment
    from .mocks.common.harness import ADMIN_TOKEN

    ports = {}
    for item in args.ports:
        name, _, port = item.partition("=")
        if not port.isdigit():
            raise ConfigError(f"--port attend SERVICE=PORT, reçu « {item} ».")
        ports[name] = int(port)
    # a kept PKI is for a DUI that speaks TLS: every simulated service then serves it
    with LiveEnvironment(services_file=args.sortie, ports=ports, pki_dir=args.pki, tls=bool(args.pki) or None) as env:
        console.print(
            f"Services simulés démarrés ; adresses écrites dans {args.sortie}. Ctrl-C pour arrêter.", markup=False
        )
        for name, url in env.urls().items():
            console.print(f"  {name:<10} {url}", markup=False)
        console.print(
            f"Jeton d'administration (/_harness/…, en-tête « Authorization: Bearer … ») : {ADMIN_TOKEN}",
            markup=False,
            soft_wrap=True,  # the token whole on one line, for copy and paste
        )
        while True:
            time.sleep(3600)


def _funding(cluster: dict, ruleset, cluster_file: Path, run) -> dict:
    """What this run means for the cluster's funding: its conformity condition read from the run itself."""
    from dataclasses import replace

    from .funding import conformity_from_run, evaluate

    # The verdict and the requirements' outcomes: not every finding of the run.
    head = {
        "verdict": run.verdict,
        "requirements": [replace(r, findings=[], scenarios=[]).to_dict() for r in run.requirements],
    }
    conformity = conformity_from_run(head, "cette exécution", ruleset.data["conformite"]["services"])
    return evaluate(cluster, ruleset, str(cluster_file), conformity).to_dict()


def cmd_funding(args) -> int:
    import json

    from .funding import (
        InputError,
        conformity_from_report,
        evaluate,
        get_ruleset,
        load_cluster,
        rank,
        usage_from_file,
        with_parameters,
    )
    from .funding.ranking import envelope_for
    from .funding.render import show_funding, show_ranking

    clusters = [(path, load_cluster(path)) for path in args.clusters]
    usage = usage_from_file(args.usage) if args.usage else None
    declared = {e["finess"] for _, cluster in clusters for og in cluster["organismes"] for e in og["esms"]}
    if usage and set(usage.esms) - declared:
        raise InputError(
            str(args.usage),
            [f"FINESS {f} absent de tout fichier de grappe donné" for f in sorted(set(usage.esms) - declared)],
        )
    results = []
    for path, cluster in clusters:
        ruleset = get_ruleset(args.campaign or cluster["campagne"], args.ruleset_dirs)
        if args.parameters:
            ruleset = with_parameters(ruleset, args.parameters)
        conformity = (
            conformity_from_report(args.report, ruleset.data["conformite"]["services"]) if args.report else None
        )
        results.append(evaluate(cluster, ruleset, str(path), conformity, usage))
    envelope, region = (args.enveloppe, "") if args.enveloppe is not None else envelope_for(results)
    ranking = rank(results, envelope) if len(results) > 1 else None
    if args.output == "json":
        data = (
            results[0].to_dict()
            if ranking is None
            else {
                "grappes": [r.to_dict() for r in results],
                "classement": {"enveloppe": envelope, "region": region or None, "grappes": ranking},
            }
        )
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        out = Console()
        for result in results:
            show_funding(out, result.to_dict())
        if ranking is not None:
            priority = results[0].ruleset.rule("priorite")
            show_ranking(
                out, ranking, envelope, region, results[0].ruleset.cite(priority["citations"][:1]) if priority else ""
            )
    return EXIT_OK if all(r.eligible for r in results) else EXIT_NOT_CONFORMANT


def cmd_usage(args) -> int:
    import json

    from .usage import evaluate_exports
    from .usage.indicators import MET
    from .usage.render import show_usage

    result = evaluate_exports(
        args.sources,
        args.targets,
        args.cluster,
        args.ruleset_dirs,
        args.executor,
        args.jobs,
        int(args.max_mb * 1024 * 1024),
    )
    if args.output == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        show_usage(Console(), result)
    return EXIT_OK if result["grappe"]["decision"] == MET else EXIT_NOT_CONFORMANT


def cmd_verify(args) -> int:
    """0 when every file, verdict and (if a key is given) the signature agree; 3 naming what differs."""
    import json

    from .verify import KeyFileError, Replay, load_verification_key, verify_pack

    if not args.pack.is_file():
        raise FileNotFoundError(f"Paquet introuvable : {args.pack}")
    key = None
    if args.public_key is not None or args.certificate is not None:
        try:
            key = load_verification_key(args.certificate or args.public_key, certificate=args.certificate is not None)
        except KeyFileError as exc:
            console.print(f"[red]Erreur d'utilisation :[/red] {escape(str(exc))}", highlight=False)
            return EXIT_USAGE
    with ExitStack() as stack:
        result = verify_pack(
            args.pack,
            key,
            Replay(args.referential_cda, args.value_sets, tuple(args.catalogue_dirs)),
            _progress(stack, args.quiet),
        )
    if args.output == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _show_verification(Console(soft_wrap=True), result)
    return EXIT_OK if result.agrees else EXIT_NOT_CONFORMANT


_SIGNATURE_STATES = {
    "absente": "[yellow]paquet non signé[/]",
    "non vérifiée": "[yellow]paquet signé, signature non vérifiée[/] (donnez --cle ou --certificat)",
    "valide": "[green]valide[/]",
    "invalide": "[bold red]INVALIDE[/]",
}


def _show_verification(out: Console, result: Verification) -> None:
    """The pack's own words (names, notes, messages) are printed as text, never as rich markup."""
    from rich.table import Table
    from rich.text import Text

    run = result.run
    out.print(f"[bold]Paquet de preuves[/] {escape(result.pack)}", highlight=False)
    if run:
        out.print(
            escape(
                f"Exécution {run.get('run_id')} ({run.get('mode')}, profil {run.get('profil')}, environnement "
                f"{run.get('environnement')}) : verdict {run.get('verdict')}"
            ),
            highlight=False,
        )
    signer = escape(f" — {result.signer}") if result.signer else ""
    out.print(f"Signature : {_SIGNATURE_STATES[result.signature]}{signer}", highlight=False)
    out.print(
        f"{result.files} fichier(s) comparé(s) au manifeste ; {result.documents} document(s) rejugé(s), "
        f"{result.requirements} exigence(s) comparée(s).",
        highlight=False,
    )
    for note in result.notes:
        out.print(f"  [dim]•[/] {escape(note)}", highlight=False)
    if result.agrees:
        out.print("[bold green]CONCORDANT[/] : chaque fichier, chaque verdict et la signature demandée concordent.")
        return
    table = Table(title=f"Écarts ({len(result.discrepancies)})", show_lines=False)
    for column in ("Type", "Objet", "Constat"):
        table.add_column(column, overflow="fold")
    for item in result.discrepancies:
        table.add_row(item.kind, Text(item.subject), Text(item.message))
    out.print(table)
    out.print(
        f"[bold red]NON CONCORDANT[/] : {len(result.discrepancies)} écart(s) entre le paquet et ce qu'il atteste."
    )


_COMMANDS = {
    "financement": cmd_funding,
    "usage": cmd_usage,
    "check": cmd_check,
    "run": cmd_run,
    "demo": cmd_demo,
    "requirements": cmd_requirements,
    "compare": cmd_compare,
    "mocks": cmd_mocks,
    "verifier": cmd_verify,
}
