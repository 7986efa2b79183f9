"""Read a ZIP archive in memory, refusing what could hurt the harness or mislead a reviewer.

IHE_XDM.ZIP files come from systems under test. Nothing is ever extracted to disk; the
central directory is vetted before any byte is inflated (path traversal, symbolic links,
encryption, entry count, declared sizes and compression ratio), and inflation itself is
bounded because declared sizes can lie.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


class ZipProblem(Exception):
    """The archive (or one member) is refused; ``message`` is French, for a finding."""

    def __init__(self, message: str, member: str | None = None, kind: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.member = member
        self.kind = kind  # invalid | traversal | symlink | encrypted | too-many | too-large | ratio | depth | duplicate


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 1000
    max_entry_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed / compressed, per entry
    max_path_depth: int = 16  # folders in a member name
    max_nesting: int = 2  # archives opened inside archives


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def _check_name(name: str) -> None:
    if "\\" in name:
        raise ZipProblem(f"Nom d'entrée avec une barre oblique inverse refusé : {name!r}.", name, "traversal")
    if name.startswith("/") or _DRIVE.match(name):
        raise ZipProblem(f"Chemin absolu refusé dans l'archive : {name!r}.", name, "traversal")
    if ".." in name.split("/"):
        raise ZipProblem(f"Remontée de répertoire (« .. ») refusée dans l'archive : {name!r}.", name, "traversal")


class SafeZip:
    """A vetted archive: list members, read one member with bounded inflation."""

    def __init__(self, data: bytes, limits: ZipLimits = ZipLimits(), depth: int = 0):
        if depth > limits.max_nesting:
            raise ZipProblem(f"Archives imbriquées sur plus de {limits.max_nesting} niveaux : refusé.", kind="depth")
        self.limits = limits
        self.depth = depth
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            raise ZipProblem(f"Archive ZIP illisible : {exc}.") from None
        if len(infos) > limits.max_entries:
            raise ZipProblem(
                f"L'archive compte {len(infos)} entrées, au-delà de la limite de {limits.max_entries}.",
                kind="too-many",
            )
        self._infos: dict[str, zipfile.ZipInfo] = {}
        declared_total = 0
        for info in infos:
            self._vet(info)
            if info.filename in self._infos:
                raise ZipProblem(
                    f"Entrée présente deux fois dans l'archive : {info.filename!r}.", info.filename, "duplicate"
                )
            self._infos[info.filename] = info
            declared_total += info.file_size
        if declared_total > limits.max_total_bytes:
            raise ZipProblem(
                f"Taille décompressée déclarée de {declared_total} octets, au-delà de la limite de "
                f"{limits.max_total_bytes} octets (bombe ZIP ?).",
                kind="too-large",
            )

    def _vet(self, info: zipfile.ZipInfo) -> None:
        name, limits = info.filename, self.limits
        _check_name(name)
        if name.rstrip("/").count("/") > limits.max_path_depth:
            raise ZipProblem(f"Arborescence trop profonde dans l'archive : {name!r}.", name, "depth")
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            raise ZipProblem(f"Lien symbolique refusé dans l'archive : {name!r}.", name, "symlink")
        if info.flag_bits & 0x1:
            raise ZipProblem(f"Entrée chiffrée refusée (illisible par le harnais) : {name!r}.", name, "encrypted")
        if info.file_size > limits.max_entry_bytes:
            raise ZipProblem(
                f"Entrée {name!r} de {info.file_size} octets décompressés, au-delà de la limite de "
                f"{limits.max_entry_bytes} octets.",
                name,
                "too-large",
            )
        if info.file_size > _CHUNK and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ZipProblem(
                f"Taux de compression anormal pour {name!r} ({info.file_size} octets pour "
                f"{info.compress_size} compressés) : bombe ZIP probable.",
                name,
                "ratio",
            )

    def names(self) -> list[str]:
        """Member names, folders excluded, in archive order."""
        return [n for n in self._infos if not n.endswith("/")]

    def read(self, name: str) -> bytes:
        """Inflate one member, stopping as soon as any limit is crossed."""
        info = self._infos.get(name)
        if info is None:
            raise ZipProblem(f"Entrée absente de l'archive : {name!r}.", name)
        limit = min(self.limits.max_entry_bytes, self.limits.max_total_bytes - self._read_total)
        ratio_cap = max(_CHUNK, int(self.limits.max_ratio * max(info.compress_size, 1)))
        out = bytearray()
        try:
            with self._zip.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    out += chunk
                    if len(out) > limit:
                        raise ZipProblem(
                            f"Entrée {name!r} : plus d'octets décompressés que la limite autorisée "
                            "(taille déclarée fausse ?).",
                            name,
                            "too-large",
                        )
                    if len(out) > ratio_cap:
                        raise ZipProblem(
                            f"Taux de compression anormal à la décompression de {name!r} : bombe ZIP probable.",
                            name,
                            "ratio",
                        )
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise ZipProblem(f"Entrée {name!r} illisible : {exc}.", name) from None
        self._read_total += len(out)
        return bytes(out)

    def open_nested(self, name: str) -> SafeZip:
        """An archive stored inside this one, with the same limits and one more level of nesting."""
        return SafeZip(self.read(name), self.limits, self.depth + 1)
