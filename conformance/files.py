"""Files that another process waits for (``services-simules.json``, the kept PKI) are written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to a temporary file in ``path``'s folder, then rename it over ``path``: a reader polling for
    the file sees it absent, or whole, never half written (``os.replace`` is atomic within one file system)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
