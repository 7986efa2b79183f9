"""Read a ZIP archive in memory, refusing what could hurt the harness or mislead a reviewer.

IHE_XDM.ZIP files come from systems under test. Nothing is ever extracted to disk; the
central directory is vetted before any byte is inflated (path traversal, symbolic links,
encryption, entry count, declared sizes and compression ratio), and inflation itself is
bounded because declared sizes can lie: a member is inflated here, never past its declared size
plus a small margin nor past the caps, and must end exactly at its declared size with its declared
CRC-32 (a "lying archive" shows one content to a tool that trusts the sizes and another to one that
follows the stream).
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # APPNOTE 4.3.7: signature … name length, extra length
_MARGIN = 1024  # bytes inflated past the declared size: enough to tell a stream that goes on


class ZipProblem(Exception):
    """The archive (or one member) is refused; ``message`` is French, for a finding."""

    def __init__(self, message: str, member: str | None = None, kind: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.member = member
        # invalid | traversal | symlink | encrypted | too-many | too-large | ratio | depth | duplicate | corrupt
        self.kind = kind


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
        self._data = data
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
        """Inflate one member, stopping as soon as any limit is crossed, and check that it is what the
        central directory declares (size, end of the compressed stream, CRC-32)."""
        info = self._infos.get(name)
        if info is None:
            raise ZipProblem(f"Entrée absente de l'archive : {name!r}.", name)
        limit = min(self.limits.max_entry_bytes, self.limits.max_total_bytes - self._read_total)
        ratio_cap = max(_CHUNK, int(self.limits.max_ratio * max(info.compress_size, 1)))
        raw = self._compressed(info)
        if info.compress_type == zipfile.ZIP_STORED:
            out, ended = raw[: limit + 1], True
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                out = inflater.decompress(raw, min(info.file_size + _MARGIN, limit + 1, ratio_cap + 1))
            except zlib.error as exc:
                raise ZipProblem(
                    f"Entrée {name!r} illisible : flux compressé invalide ({exc}).", name, "corrupt"
                ) from None
            ended = inflater.eof
        else:
            raise ZipProblem(
                f"Entrée {name!r} : méthode de compression {info.compress_type} non prise en charge "
                "(seules « stockée » et « deflate » sont lues).",
                name,
            )
        if len(out) > limit:
            raise ZipProblem(
                f"Entrée {name!r} : plus d'octets décompressés que la limite autorisée (taille déclarée fausse ?).",
                name,
                "too-large",
            )
        if len(out) > ratio_cap:
            raise ZipProblem(
                f"Taux de compression anormal à la décompression de {name!r} : bombe ZIP probable.", name, "ratio"
            )
        if len(out) != info.file_size or not ended:
            found = f"au moins {len(out)}" if len(out) > info.file_size else str(len(out))
            raise ZipProblem(
                f"Entrée {name!r} illisible : taille déclarée de {info.file_size} octets, {found} octets à la "
                f"décompression{'' if ended else ', flux compressé inachevé'} : archive corrompue ou mensongère.",
                name,
                "corrupt",
            )
        if zlib.crc32(out) != info.CRC:
            raise ZipProblem(
                f"Entrée {name!r} illisible : CRC-32 {zlib.crc32(out):08x} des octets lus, {info.CRC:08x} déclaré : "
                "archive corrompue ou mensongère.",
                name,
                "corrupt",
            )
        self._read_total += len(out)
        return bytes(out)

    def _compressed(self, info: zipfile.ZipInfo) -> bytes:
        """The member's stored bytes, located by its local header, which must name the same member."""
        name, start = info.filename, info.header_offset
        header = self._data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise ZipProblem(f"Entrée {name!r} : en-tête local absent ou invalide.", name, "corrupt")
        fields = _LOCAL_HEADER.unpack(header)
        name_length, extra_length = fields[9], fields[10]
        local = self._data[start + _LOCAL_HEADER.size : start + _LOCAL_HEADER.size + name_length]
        if local.decode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace") != info.orig_filename:
            raise ZipProblem(
                f"Entrée {name!r} : l'en-tête local nomme un autre fichier ({local[:80]!r}) : archive mensongère.",
                name,
                "corrupt",
            )
        begin = start + _LOCAL_HEADER.size + name_length + extra_length
        raw = self._data[begin : begin + info.compress_size]
        if len(raw) < info.compress_size:
            raise ZipProblem(f"Entrée {name!r} tronquée : données compressées incomplètes.", name, "corrupt")
        return raw

    def open_nested(self, name: str) -> SafeZip:
        """An archive stored inside this one, with the same limits and one more level of nesting."""
        return SafeZip(self.read(name), self.limits, self.depth + 1)
