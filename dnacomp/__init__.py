"""dnacomp: lossless FASTA/FASTQ compression by k-mer context mixing and arithmetic coding.

Public API: compress_file, decompress_file, test_file, archive_info, compress_bytes,
decompress_bytes; errors derive from DnacompError.
"""
__version__ = "0.1.0"

from .api import (archive_info, compress_bytes, compress_file, decompress_bytes,  # noqa: E402
                  decompress_file, test_file)
from .archive import ArchiveStats  # noqa: E402
from .errors import ArchiveError, DnacompError, InputFormatError  # noqa: E402

__all__ = [
    "compress_file", "decompress_file", "test_file", "archive_info", "compress_bytes",
    "decompress_bytes", "ArchiveStats", "DnacompError", "ArchiveError", "InputFormatError",
]
