"""dui_conformance.safezip against generated hostile archives."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from dui_conformance import safezip
from dui_conformance.safezip import SafeZip, ZipLimits, ZipProblem


def make_zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, b"cible")
            else:
                archive.writestr(*entry)
    return out.getvalue()


def kind_of(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    with pytest.raises(ZipProblem) as problem:
        archive = SafeZip(data, limits)
        for name in archive.names():
            archive.read(name)
    assert problem.value.message  # French, for a finding
    return problem.value.kind


def test_valid_archive_reads_members():
    archive = SafeZip(make_zip([("README.TXT", b"ok"), ("IHE_XDM/SUBSET01/DOC.XML", b"<a/>")]))
    assert archive.names() == ["README.TXT", "IHE_XDM/SUBSET01/DOC.XML"]
    assert archive.read("IHE_XDM/SUBSET01/DOC.XML") == b"<a/>"


def test_zip_bomb_of_ten_megabytes_of_zeros():
    bomb = make_zip([("ZEROS.BIN", bytes(10 * 1024 * 1024))])
    assert len(bomb) < 100_000
    assert kind_of(bomb) == "ratio"


def test_lying_sizes_stopped_while_inflating():
    bomb = make_zip([("ZEROS.BIN", bytes(10 * 1024 * 1024))])
    # Declare a tiny uncompressed size in the central directory: inflation must still stop.
    central = bomb.rfind(b"PK\x01\x02")
    patched = bytearray(bomb)
    patched[central + 24 : central + 28] = (100).to_bytes(4, "little")
    assert kind_of(bytes(patched)) == "corrupt"


def _declare(data: bytes, size: int, crc: int | None = None) -> bytes:
    """The archive with its only member's uncompressed size (and CRC-32) rewritten in both headers."""
    patched = bytearray(data)
    for signature, crc_at, size_at in ((b"PK\x03\x04", 14, 22), (b"PK\x01\x02", 16, 24)):
        at = patched.find(signature)
        patched[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
        if crc is not None:
            patched[at + crc_at : at + crc_at + 4] = crc.to_bytes(4, "little")
    return bytes(patched)


def test_lying_archive_whose_stream_outruns_its_declared_size():
    """Issue 21: a deflate stream far longer than the declared size (and so a bad CRC) is a corrupt archive."""
    text = b"<ClinicalDocument/>" * 5000
    data = _declare(make_zip([("IHE_XDM/SUBSET01/DOC0001.XML", text)]), 19)
    assert kind_of(data) == "corrupt"


def test_lying_archive_with_the_crc_of_its_declared_prefix():
    """Size and CRC-32 agree with the first bytes, but the stream goes on: a tool that follows it sees more."""
    text = b"<a/>" + b"<!-- cache -->" * 5000
    data = _declare(make_zip([("DOC.XML", text)]), 4, zlib.crc32(b"<a/>"))
    with pytest.raises(ZipProblem, match="flux compressé inachevé") as problem:
        SafeZip(data).read("DOC.XML")
    assert problem.value.kind == "corrupt"


def test_bad_crc_of_a_stored_member():
    data = bytearray(make_zip([("README.TXT", b"bonjour")], zipfile.ZIP_STORED))
    data[data.find(b"bonjour")] ^= 0x20
    with pytest.raises(ZipProblem, match="CRC-32") as problem:
        SafeZip(bytes(data)).read("README.TXT")
    assert problem.value.kind == "corrupt"


def test_local_header_naming_another_member():
    data = make_zip([("README.TXT", b"ok")])
    at = data.find(b"README.TXT")  # the local header's copy comes first
    data = data[:at] + b"EVIL00.TXT" + data[at + 10 :]
    assert kind_of(data) == "corrupt"


def test_inflation_never_runs_past_the_declared_size_and_margin():
    """A 10 MB stream declared as 10 bytes: at most the declared size plus the margin is inflated."""
    data = _declare(make_zip([("ZEROS.BIN", bytes(10 * 1024 * 1024))]), 10)
    calls = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, *args):
            self.inner = real(*args)

        def decompress(self, raw, max_length):
            calls.append(max_length)
            return self.inner.decompress(raw, max_length)

        @property
        def eof(self):
            return self.inner.eof

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(safezip.zlib, "decompressobj", Spy)
        assert kind_of(data) == "corrupt"
    assert calls and max(calls) <= 10 + safezip._MARGIN


@pytest.mark.parametrize(
    "name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:/Windows/x.dll", "IHE_XDM\\SUBSET01\\x"]
)
def test_path_traversal_names_refused(name):
    # zipfile itself rewrites such names when writing: write a placeholder, then patch the raw bytes.
    data = make_zip([("x" * len(name.encode()), b"x")]).replace(b"x" * len(name.encode()), name.encode())
    assert kind_of(data) == "traversal"


def test_symlink_refused():
    link = zipfile.ZipInfo("IHE_XDM/lien")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    assert kind_of(make_zip([link])) == "symlink"


def test_encrypted_entry_refused():
    data = bytearray(make_zip([("SECRET.TXT", b"x")]))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flag_offset] |= 0x01
    assert kind_of(bytes(data)) == "encrypted"


def test_too_many_entries():
    data = make_zip([(f"F{i}.TXT", b"x") for i in range(6)])
    assert kind_of(data, ZipLimits(max_entries=5)) == "too-many"


def test_entry_and_total_size_limits():
    import os

    data = make_zip([("A.BIN", os.urandom(2000))])
    assert kind_of(data, ZipLimits(max_entry_bytes=1000)) == "too-large"
    data = make_zip([("A.BIN", os.urandom(800)), ("B.BIN", os.urandom(800))])
    assert kind_of(data, ZipLimits(max_total_bytes=1000)) == "too-large"


def test_nesting_depth():
    inner = make_zip([("X.TXT", b"x")])
    middle = make_zip([("INNER.ZIP", inner)], zipfile.ZIP_STORED)
    outer = SafeZip(make_zip([("MIDDLE.ZIP", middle)], zipfile.ZIP_STORED), ZipLimits(max_nesting=1))
    level1 = outer.open_nested("MIDDLE.ZIP")
    with pytest.raises(ZipProblem) as problem:
        level1.open_nested("INNER.ZIP")
    assert problem.value.kind == "depth"


def test_duplicate_names_refused():
    with pytest.warns(UserWarning):
        data = make_zip([("A.TXT", b"1"), ("A.TXT", b"2")])
    assert kind_of(data) == "duplicate"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04", b"not a zip at all", b"PK\x05\x06" + b"\x00" * 18])
def test_garbage_is_a_problem_not_a_crash(data):
    try:
        archive = SafeZip(data)
    except ZipProblem as problem:
        assert problem.kind == "invalid"
    else:
        assert archive.names() == []
