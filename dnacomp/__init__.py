"""dnacomp: lossless FASTA/FASTQ compression by k-mer context mixing and arithmetic coding.

Public API: compress_file, decompress_file, test_file, archive_info, compress_bytes,
decompress_bytes; errors derive from DnacompError.

The API is imported on first use (``dnacomp.compress_file``), so that ``import dnacomp`` and the
command line's ``--help`` stay fast; the kernels (numba) load only when data is coded.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "compress_file", "decompress_file", "test_file", "archive_info", "compress_bytes",
    "decompress_bytes", "ArchiveStats", "DnacompError", "ArchiveError", "InputFormatError",
]

_HOME = {"ArchiveStats": "archive", "DnacompError": "errors", "ArchiveError": "errors",
         "InputFormatError": "errors"}

if TYPE_CHECKING:
    from .api import (archive_info, compress_bytes, compress_file, decompress_bytes, decompress_file,
                      test_file)
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
