"""Package discovery: one import package, ``dui_conformance``, built from the design card's folders.

The repository keeps ``conformance/``, ``features/``, ``mocks/`` and ``fixtures/`` at the top level;
the wheel maps them to ``dui_conformance`` and its sub-packages ``features``, ``mocks`` and
``fixtures``. Every folder below them is found here, so a new service package cannot be forgotten,
and every non-Python file in them ships as package data. The rest of the metadata is in
pyproject.toml.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOTS = {
    "dui_conformance": "conformance",
    "dui_conformance.features": "features",
    "dui_conformance.mocks": "mocks",
    "dui_conformance.fixtures": "fixtures",
}
SKIPPED = {"__pycache__"}


def discover() -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    packages, package_dir, package_data = [], {}, {}
    for name, folder in ROOTS.items():
        package_dir[name] = folder
        found = [name] + [f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])]
        for package in found:
            path = Path(folder, *package.split(".")[len(name.split(".")) :])
            files = [p.name for p in path.iterdir() if p.is_file() and p.suffix not in {".py", ".pyc"}]
            if files:
                package_data[package] = files
        packages += found
    return packages, package_dir, package_data


packages, package_dir, package_data = discover()
setup(packages=packages, package_dir=package_dir, package_data=package_data)
