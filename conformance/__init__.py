"""dui-conformance: conformance harness for French medico-social resident records (DUI)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dui-conformance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
