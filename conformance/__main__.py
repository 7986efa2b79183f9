"""``python -m dui_conformance``: the same entry point as the ``dui-conformance`` command."""

from .cli import main

raise SystemExit(main())
