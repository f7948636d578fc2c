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
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from .errors import DnacompError
from .fileio import atomic_output, open_input
from .jobs import refuse_same_file
from .models.levels import DEFAULT_LEVEL, DEFAULT_MODEL, LEVEL_DESCRIPTIONS, MODELS, READ_LEVEL_DESCRIPTIONS

if TYPE_CHECKING:
    from .archive import ArchiveStats

# This module is light to import (no numpy, no numba): the command line's --help reads the
# levels from here. The coding stack (archive.py and below) is imported by the calls that code.

__all__ = [
    "compress_file",
    "decompress_file",
    "test_file",
    "archive_info",
    "compress_bytes",
    "decompress_bytes",
    "compress_stream",
    "decompress_stream",
    "open_archive",
    "default_archive_name",
    "default_restored_name",
    "warm_up",
    "DEFAULT_LEVEL",
    "DEFAULT_MODEL",
    "MODELS",
    "LEVEL_DESCRIPTIONS",
    "READ_LEVEL_DESCRIPTIONS",
    "SUFFIX",
]

#: Progress callback: called with the number of input bytes just done (a tqdm bar's ``update``)
Progress = Callable[[int], None] | None

#: the archive suffix
SUFFIX = ".dnac"
_INPUT_SUFFIXES = (".gz", ".bgz", ".bgzf")


def default_archive_name(path: str) -> str:
    """chr1.fa -> chr1.fa.dnac; chr1.fa.gz -> chr1.fa.dnac (the archive holds the plain text)."""
    for suffix in _INPUT_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)] + SUFFIX
    return path + SUFFIX


def default_restored_name(path: str) -> str:
    """chr1.fa.dnac -> chr1.fa; a name without the .dnac suffix is a DnacompError."""
    if not path.endswith(SUFFIX) or len(path) == len(SUFFIX):
        raise DnacompError(f"{path}: unknown suffix (expected {SUFFIX}); use -o or -c")
    return path[: -len(SUFFIX)]


def compress_stream(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    level: int = DEFAULT_LEVEL,
    source: str = "<stdin>",
    threads: int = 1,
    progress: Progress = None,
    model: str = DEFAULT_MODEL,
    segment_size: int | None = None,
    memory: int | None = None,
    input_size: int | None = None,
) -> ArchiveStats:
    """Compresses the FASTA/FASTQ bytes read from ``src`` (plain; see ``fileio.open_input`` for
    gzip) into a .dnac archive written to ``dst``. ``source`` names the input in error messages;
    ``threads`` segments of ``segment_size`` input bytes are coded at once (the same archive for
    any number; fewer when ``memory`` bytes do not hold that many, ``memory_per_thread``).
    Without ``segment_size``, an input of known ``input_size`` is cut into equal segments of at
    most 32 MiB (FASTA levels 7-9: 128 MiB; FASTQ: 8 MiB), one of unknown size into segments of
    that size;
    ``model``: "cm" (context models) or "gru" (plus the online GRU: slower, a little smaller)."""
    from .archive import compress_stream as compress

    return compress(
        src,
        dst,
        level=level,
        source=source,
        threads=threads,
        progress=progress,
        model=model,
        segment_size=segment_size,
        memory=memory,
        input_size=input_size,
    )


def decompress_stream(
    src: BinaryIO, dst: BinaryIO | None, *, progress: Progress = None, threads: int = 1
) -> ArchiveStats:
    """Restores the original bytes of the archive read from ``src`` into ``dst`` (None: verify
    only, like ``gzip -t``). Every block is checked against its CRC before it is written, and the
    whole against the original's sha256: any mismatch is an ArchiveError. Concatenated archives
    restore to the concatenation of their originals. ``threads`` segments decode at once."""
    from .archive import decompress_stream as decompress

    return decompress(src, dst, progress=progress, threads=threads)


def memory_per_thread(
    level: int = DEFAULT_LEVEL,
    kind: str = "fasta",
    model: str = DEFAULT_MODEL,
    segment_size: int | None = None,
    long_reads: bool = False,
) -> int:
    """Bytes one thread holds while coding at ``level``: its model tables and a segment's buffers
    (``long_reads``: a FASTQ of long reads, which takes longer segments by default)."""
    from .archive import LONG_READS_SEGMENT_SIZE, segment_target
    from .models.levels import params_for_level
    from .parallel import memory_per_worker

    default = LONG_READS_SEGMENT_SIZE if long_reads and kind == "fastq" else segment_target(kind, level)
    size = segment_size or default
    return memory_per_worker(params_for_level(level, kind, model).memory_bytes(), size)


def open_archive(path: str):
    """A .dnac file opened for random access (``reader.ArchiveReader``), as a context manager:
    ``records()``, ``fetch(name, begin, end)`` (0-based, end excluded, as pysam), ``reads(first,
    last)`` and ``reads_named(names)`` for FASTQ; only the segments holding what is asked are
    decoded. Version-5 archives only (the first with an index).

        with dnacomp.open_archive("chr1.fa.dnac") as archive:
            middle = archive.fetch("chr1", 100_000_000, 100_001_000)
    """
    from .reader import ArchiveReader

    return ArchiveReader(path)


def open_archive_file(path: str):
    """A binary reader of the archive ``path`` ("-" = standard input, which is not closed), as a
    context manager; a directory is a DnacompError."""
    if path == "-":
        import sys
        from contextlib import nullcontext

        return nullcontext(sys.stdin.buffer)
    if os.path.isdir(path):
        raise DnacompError(f"{path}: is a directory")
    return open(path, "rb")


def compress_file(
    path: str,
    out_path: str | None = None,
    *,
    level: int = DEFAULT_LEVEL,
    threads: int = 1,
    force: bool = False,
    progress: Progress = None,
    model: str = DEFAULT_MODEL,
    segment_size: int | None = None,
    memory: int | None = None,
) -> ArchiveStats:
    """Compresses the file ``path`` (plain or gzipped) into ``out_path`` (default: path + .dnac),
    written atomically and never over an existing file unless ``force``. ``model``: "cm"
    (context models) or "gru" (plus the online GRU: slower, a little smaller); ``threads``,
    ``segment_size`` and ``memory`` as for ``compress_stream``."""
    out_path = out_path or default_archive_name(path)
    refuse_same_file(path, out_path)
    with open_input(path) as src, atomic_output(out_path, force) as dst:
        return compress_stream(
            src,
            dst,
            level=level,
            source=path,
            threads=threads,
            progress=progress,
            model=model,
            segment_size=segment_size,
            memory=memory,
            input_size=known_input_size(path),
        )


def known_input_size(path: str) -> int | None:
    """The bytes of FASTA/FASTQ text an input holds, when known before reading it: a plain
    regular file's size, or a single-member gzip file's ISIZE trailer (the size mod 2^32, so
    files under 4 GiB); None for stdin, BGZF (many members), anything not a regular file, or a
    trailer that cannot be right. Only the default segment size depends on it."""
    import stat
    import struct

    if path == "-":
        return None
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as f:
            head = f.read(18)
            if head[:2] != b"\x1f\x8b":
                return st.st_size
            if len(head) == 18 and head[3] & 4 and head[12:14] == b"BC":  # BGZF: ISIZE is one block's
                return None
            f.seek(-4, os.SEEK_END)
            (size,) = struct.unpack("<I", f.read(4))
    except OSError:
        return None
    return size if size >= st.st_size else None


def decompress_file(
    path: str, out_path: str | None = None, *, force: bool = False, progress: Progress = None, threads: int = 1
) -> ArchiveStats:
    """Restores the archive ``path`` into ``out_path`` (default: path without .dnac), verified,
    written atomically and never over an existing file unless ``force``."""
    out_path = out_path or default_restored_name(path)
    refuse_same_file(path, out_path)
    with open_archive_file(path) as src, atomic_output(out_path, force) as dst:
        return decompress_stream(src, dst, progress=progress, threads=threads)


def test_file(path: str, progress: Progress = None, threads: int = 1) -> ArchiveStats:
    """Decodes and verifies an archive without writing anything (``gzip -t``)."""
    with open_archive_file(path) as src:
        return decompress_stream(src, None, progress=progress, threads=threads)


def archive_info(path: str) -> ArchiveStats:
    """The stream sizes of an archive, read and checked without decoding it (``dnacomp info``)."""
    from .archive import inspect_stream

    with open_archive_file(path) as src:
        stats = inspect_stream(src)
    if path != "-":
        stats.archive_bytes = os.path.getsize(path)
    return stats


def compress_bytes(data: bytes, *, level: int = DEFAULT_LEVEL, threads: int = 1, model: str = DEFAULT_MODEL) -> bytes:
    """The archive of the FASTA/FASTQ bytes ``data``."""
    from .archive import compress_stream as compress

    out = io.BytesIO()
    compress(io.BytesIO(data), out, level=level, source="<bytes>", threads=threads, model=model, input_size=len(data))
    return out.getvalue()


def decompress_bytes(data: bytes) -> bytes:
    """The original bytes of the archive ``data``, verified."""
    out = io.BytesIO()
    decompress_stream(io.BytesIO(data), out)
    return out.getvalue()


# --- dnacomp warmup ------------------------------------------------------------------------------

#: tiny inputs that reach every kernel: two records, so that names are tokenised; an N, lowercase
#: and IUPAC codes; FASTQ qualities with an N read position
_FASTA = b">chr1 test 1\nACGTACGTNNNNacgtacgtRYKM\nACGTAC\n>chr2 test 2\n" + b"ACGTTGCA" * 40 + b"\n"
_FASTQ = (
    b"@r1/1 x:1:2\nACGTNACGTTGCAACG\n+\nIIII#IIIHHHGGGFF\n@r2/1 x:1:3\nTTGCAACGTAGCTAGC\n+\n"
    b"HHHHHIIIIIGGGFFE\n@r3/1 x:2:4\nGGGTTTAAACCCGGGA\n+\nIIIIIHHHHHGGGGGF\n"
)


def warm_up(say: Callable[[str], None] = print) -> int:
    """Compiles (or loads from the kernel cache) every kernel, by compressing, decompressing and
    checking a tiny FASTA and FASTQ with each base model (``dnacomp warmup``); ``say`` gets one
    line per step. Returns 0 if every round trip restored its input, else 1."""
    from .kernel_cache import compiled_kernels, configure, describe

    configure()
    say(f"dnacomp warmup: {describe()}")
    status = 0
    started = time.perf_counter()
    for model in MODELS:
        for kind, data in (("FASTA", _FASTA), ("FASTQ", _FASTQ)):
            before = len(compiled_kernels())
            t0 = time.perf_counter()
            ok = decompress_bytes(compress_bytes(data, level=1, model=model)) == data
            status |= 0 if ok else 1
            fresh = compiled_kernels()[before:]
            what = f"compiled {len(fresh)} kernel{'s' if len(fresh) != 1 else ''}" if fresh else "all kernels cached"
            say(
                f"  {kind} --model {model}: round trip {'OK' if ok else 'FAILED'}, {what} "
                f"({time.perf_counter() - t0:.1f} s)"
            )
    total = len(compiled_kernels())
    say(
        f"dnacomp warmup: {'done' if status == 0 else 'FAILED'} in {time.perf_counter() - started:.1f} s; "
        f"{total} kernel{'s' if total != 1 else ''} compiled now, the next runs load them from the cache"
    )
    return status
