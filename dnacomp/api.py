"""The Python API: files and bytes in, files and bytes out.

    >>> import dnacomp
    >>> stats = dnacomp.compress_file("chr1.fa")            # writes chr1.fa.dnac
    >>> stats.bits_per_base
    >>> dnacomp.decompress_file("chr1.fa.dnac", "chr1.restored.fa")
    >>> archive = dnacomp.compress_bytes(b">x\\nACGT\\n", level=1)
    >>> dnacomp.decompress_bytes(archive)
    b'>x\\nACGT\\n'

Files are written atomically (temporary file, renamed when complete) and never overwritten
unless ``force=True``.
"""
from __future__ import annotations

import io
import os

from .archive import ArchiveStats, compress_stream, decompress_stream, inspect_stream
from .errors import DnacompError
from .fileio import atomic_output, open_input
from .jobs import refuse_same_file
from .models.levels import DEFAULT_LEVEL

SUFFIX = ".dnac"
_INPUT_SUFFIXES = (".gz", ".bgz", ".bgzf")


def default_archive_name(path: str) -> str:
    """chr1.fa -> chr1.fa.dnac; chr1.fa.gz -> chr1.fa.dnac (the archive holds the plain text)."""
    for suffix in _INPUT_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)] + SUFFIX
    return path + SUFFIX


def default_restored_name(path: str) -> str:
    if not path.endswith(SUFFIX) or len(path) == len(SUFFIX):
        raise DnacompError(f"{path}: unknown suffix (expected {SUFFIX}); use -o or -c")
    return path[: -len(SUFFIX)]


def compress_file(path: str, out_path: str | None = None, *, level: int = DEFAULT_LEVEL, threads: int = 1,
                  force: bool = False, progress=None, model: str = "cm") -> ArchiveStats:
    """``model``: "cm" (context models) or "gru" (plus the online GRU: slower, a little smaller)."""
    out_path = out_path or default_archive_name(path)
    refuse_same_file(path, out_path)
    with open_input(path) as src, atomic_output(out_path, force) as dst:
        return compress_stream(src, dst, level=level, source=path, threads=threads, progress=progress,
                               model=model)


def decompress_file(path: str, out_path: str | None = None, *, force: bool = False, progress=None) -> ArchiveStats:
    out_path = out_path or default_restored_name(path)
    refuse_same_file(path, out_path)
    with _open_archive(path) as src, atomic_output(out_path, force) as dst:
        return decompress_stream(src, dst, progress=progress)


def test_file(path: str, progress=None) -> ArchiveStats:
    """Decodes and verifies an archive without writing anything (``gzip -t``)."""
    with _open_archive(path) as src:
        return decompress_stream(src, None, progress=progress)


def archive_info(path: str) -> ArchiveStats:
    with _open_archive(path) as src:
        stats = inspect_stream(src)
    if path != "-":
        stats.archive_bytes = os.path.getsize(path)
    return stats


def compress_bytes(data: bytes, *, level: int = DEFAULT_LEVEL, threads: int = 1, model: str = "cm") -> bytes:
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, level=level, source="<bytes>", threads=threads, model=model)
    return out.getvalue()


def decompress_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    decompress_stream(io.BytesIO(data), out)
    return out.getvalue()


def _open_archive(path: str):
    if path == "-":
        import sys
        from contextlib import nullcontext
        return nullcontext(sys.stdin.buffer)
    if os.path.isdir(path):
        raise DnacompError(f"{path}: is a directory")
    return open(path, "rb")
