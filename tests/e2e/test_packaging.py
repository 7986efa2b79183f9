"""What the harness reads at run time ships with it (CI runs the suite on a regular `pip install .`)."""

from importlib import resources
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "package, pattern",
    [
        ("dui_conformance_features", "**/*.feature"),
        ("dui_conformance_features", "pytest.ini"),
        ("dui_conformance_fixtures", "**/MANIFEST.toml"),
        ("dui_conformance_mocks", "insi/personas.toml"),
        ("conformance", "requirements/catalogue/*.toml"),
        ("conformance", "report/templates/*"),
        ("conformance", "report/report.schema.json"),
        ("conformance", "ins/rules.toml"),
        ("conformance", "cda/*.toml"),
        ("conformance", "xds/mapping.toml"),
        ("conformance", "live/openapi.yaml"),
    ],
)
def test_runtime_data_is_installed(package, pattern):
    assert list(Path(str(resources.files(package))).glob(pattern)), f"{package}/{pattern} absent"


def test_no_plain_mocks_or_features_package_is_importable_from_site_packages():
    import importlib.util

    for name in ("mocks", "features", "fixtures"):
        spec = importlib.util.find_spec(name)
        assert spec is None or "site-packages" not in (spec.origin or ""), name
