"""One installed import package, ``dui_conformance``, with everything it reads at run time."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata, resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = {
    "conformance": "dui_conformance",
    "features": "dui_conformance/features",
    "mocks": "dui_conformance/mocks",
    "fixtures": "dui_conformance/fixtures",
}


@pytest.mark.parametrize(
    "package, pattern",
    [
        ("dui_conformance.features", "**/*.feature"),
        ("dui_conformance.features", "pytest.ini"),
        ("dui_conformance.fixtures", "**/MANIFEST.toml"),
        ("dui_conformance", "ins/insi_personas.toml"),
        ("dui_conformance", "requirements/catalogue/*.toml"),
        ("dui_conformance", "report/templates/*"),
        ("dui_conformance", "report/report.schema.json"),
        ("dui_conformance", "ins/rules.toml"),
        ("dui_conformance", "cda/*.toml"),
        ("dui_conformance", "xds/mapping.toml"),
        ("dui_conformance", "live/openapi.yaml"),
    ],
)
def test_runtime_data_is_installed(package, pattern):
    assert list(Path(str(resources.files(package))).glob(pattern)), f"{package}/{pattern} absent"


def test_no_plain_mocks_features_or_conformance_package_is_importable_from_site_packages():
    import importlib.util

    for name in ("mocks", "features", "fixtures", "conformance"):
        spec = importlib.util.find_spec(name)
        assert spec is None or "site-packages" not in (spec.origin or ""), name


def test_installed_distribution_has_one_top_level_package():
    """Regular or editable: the distribution puts ``dui_conformance`` in site-packages and nothing else of ours."""
    site_packages = sysconfig.get_paths()["purelib"]  # not a source checkout's dui_conformance.egg-info
    dist = next(metadata.distributions(name="dui-conformance", path=[site_packages]))
    assert dist.read_text("top_level.txt").split() == ["dui_conformance"]
    tops = {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}
    ours = {t for t in tops if not t.endswith(".dist-info") and not t.startswith("__editable__")}
    assert ours <= {"dui_conformance"}, ours


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the sources, so that no stale ``build/`` folder of the checkout leaks in."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "dui-conformance"
    shutil.copytree(
        REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", "reports")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("dui_conformance-*.whl"))


def test_wheel_holds_dui_conformance_only_and_every_source_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"dui_conformance"}
    for folder, target in SOURCE_FOLDERS.items():
        tracked = subprocess.run(["git", "ls-files", folder], cwd=REPO, capture_output=True, text=True).stdout.split()
        if not tracked:  # not a git checkout (an sdist, say): compare with the files on disk
            tracked = [
                str(p.relative_to(REPO))
                for p in (REPO / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            ]
        missing = [t for t in tracked if target + t[len(folder) :] not in names]
        assert not missing, f"absents de la roue : {missing[:10]}"


def test_regular_install_of_the_wheel_imports_every_part(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    ours = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info") and p.name != "bin"}
    assert ours == {"dui_conformance"}
    code = (
        "import dui_conformance, dui_conformance.features.steps, dui_conformance.mocks.dui, "
        "dui_conformance.fixtures, dui_conformance.cli; print(dui_conformance.__file__)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(target))
