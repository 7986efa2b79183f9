import subprocess
import sys


def test_cli_starts_without_the_heavy_modules():
    """``dui-conformance --help`` must stay fast: pytest, the report writers and funding load on demand."""
    code = (
        "import sys, dui_conformance.cli as cli\n"
        "heavy = {'pytest', 'dui_conformance.plugin', 'dui_conformance.report', 'dui_conformance.funding', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
