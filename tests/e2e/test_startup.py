import subprocess
import sys


def _fresh(code: str) -> list[str]:
    """What a fresh interpreter prints after running ``code``, split into words."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_cli_starts_without_the_heavy_modules():
    """``dui-conformance --help`` must stay fast: pytest, the report writers and funding load on demand."""
    assert _fresh(
        "import sys, dui_conformance.cli as cli\n"
        "heavy = {'pytest', 'dui_conformance.plugin', 'dui_conformance.report', 'dui_conformance.funding', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    ) == ["[]"]


def test_report_writing_never_imports_pytest():
    """The readiness report takes the input kinds and the live subject from the plan and settings, not the plugin."""
    assert _fresh(
        "import sys, dui_conformance.report as report, dui_conformance.runner\n"
        "from dui_conformance.inputs import KIND_LABELS\n"
        "print(sorted({'pytest', 'dui_conformance.plugin'} & set(sys.modules)), "
        "'ihe_xdm' in str(KIND_LABELS).lower())\n"
    ) == ["[]", "True"]
