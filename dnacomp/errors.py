"""Exceptions that the CLI turns into one-line messages (exit 1).

Every error a user can cause by feeding bad input derives from DnacompError, so that the CLI can
print ``dnacomp: <message>`` without a traceback and still let real bugs surface with --debug.
"""

from __future__ import annotations


class DnacompError(Exception):
    """Base class for errors caused by input, archives or the environment, not by bugs."""


class InputFormatError(DnacompError):
    """The input is not FASTA/FASTQ, or is malformed; the message names the file and line/record."""

    def __init__(self, source: str, message: str, line: int | None = None, record: int | None = None):
        self.source = source
        self.line = line
        self.record = record
        where = []
        if record is not None:
            where.append(f"record {record}")
        if line is not None:
            where.append(f"line {line}")
        place = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{source}{place}: {message}")


class ArchiveError(DnacompError):
    """A .dnac archive is truncated, corrupt, of an unknown version, or fails its checksums."""
