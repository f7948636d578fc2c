"""dnacomp: lossless FASTA/FASTQ compression by k-mer context mixing and arithmetic coding.

The public API is what ``__all__`` lists (all of it in ``dnacomp.api`` but ``ArchiveStats`` and the
errors); the command line uses nothing else of the coding stack.

Files and bytes
    compress_file, decompress_file, test_file, archive_info, compress_bytes, decompress_bytes
Streams (binary file objects; the command line's stdin/stdout)
    compress_stream, decompress_stream, open_archive_file
Random access (version-5 archives: records, regions, read ranges)
    open_archive, memory_per_thread, known_input_size
Names
    default_archive_name, default_restored_name, SUFFIX
Levels and models
    DEFAULT_LEVEL, DEFAULT_MODEL, MODELS, LEVEL_DESCRIPTIONS, READ_LEVEL_DESCRIPTIONS
Kernels
    warm_up (compile every kernel for this CPU ahead, and self-test)
Results and errors
    ArchiveStats; DnacompError, and its ArchiveError and InputFormatError

The API is imported on first use (``dnacomp.compress_file``), so that ``import dnacomp`` and the
command line's ``--help`` stay fast; the kernels (numba) load only when data is coded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .version import __version__

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
    "open_archive_file",
    "memory_per_thread",
    "known_input_size",
    "default_archive_name",
    "default_restored_name",
    "SUFFIX",
    "DEFAULT_LEVEL",
    "DEFAULT_MODEL",
    "MODELS",
    "LEVEL_DESCRIPTIONS",
    "READ_LEVEL_DESCRIPTIONS",
    "warm_up",
    "ArchiveStats",
    "DnacompError",
    "ArchiveError",
    "InputFormatError",
    "__version__",
]

_HOME = {"ArchiveStats": "archive", "DnacompError": "errors", "ArchiveError": "errors", "InputFormatError": "errors"}

if TYPE_CHECKING:
    from .api import (
        DEFAULT_LEVEL,
        DEFAULT_MODEL,
        LEVEL_DESCRIPTIONS,
        MODELS,
        READ_LEVEL_DESCRIPTIONS,
        SUFFIX,
        archive_info,
        compress_bytes,
        compress_file,
        compress_stream,
        decompress_bytes,
        decompress_file,
        decompress_stream,
        default_archive_name,
        default_restored_name,
        known_input_size,
        memory_per_thread,
        open_archive,
        open_archive_file,
        test_file,
        warm_up,
    )
    from .archive import ArchiveStats
    from .errors import ArchiveError, DnacompError, InputFormatError


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module 'dnacomp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_HOME.get(name, 'api')}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
