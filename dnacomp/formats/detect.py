"""Telling FASTA from FASTQ (and from anything else) by the first bytes of the input.

The decision rests on the first non-blank line: '>' means FASTA, '@' means FASTQ, and a line of
residue-like characters means headerless FASTA (a bare sequence, which the FASTA parser handles).
Empty or blank-only input is FASTA (the parser reproduces it exactly). Everything else is refused
here with a clear message, rather than later with a puzzling one from the wrong parser; the usual
culprits get named: compressed data that was not decompressed, and binary files.
"""

from __future__ import annotations

import re

from ..errors import InputFormatError

__all__ = ["detect_format"]

_MAGICS = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"\x89DNAC": "dnacomp archive (.dnac)",
}
_RESIDUE_LINE = re.compile(rb"[A-Za-z*.\-]+\r?")


def detect_format(head: bytes, source: str) -> str:
    """Return "fasta" or "fastq" for the input starting with ``head``; raise InputFormatError else.

    ``head`` is the first bytes of the input (any length; its last line may be cut short).
    """
    for magic, name in _MAGICS.items():
        if head.startswith(magic):
            raise InputFormatError(source, f"input looks like {name} data, not FASTA/FASTQ text", line=1)
    lines = head.split(b"\n")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputFormatError(
            source, "input contains a NUL byte: binary data, not FASTA/FASTQ", line=head.count(b"\n", 0, nul) + 1
        )
    for number, line in enumerate(lines, start=1):
        if line in (b"", b"\r"):
            continue
        first = line[:1]
        if first == b">":
            return "fasta"
        if first == b"@":
            return "fastq"
        if _RESIDUE_LINE.fullmatch(line):
            return "fasta"
        shown = line[:20].decode("latin-1").encode("unicode_escape").decode("ascii")
        raise InputFormatError(
            source, f"not FASTA or FASTQ: expected '>', '@' or sequence, found '{shown}'", line=number
        )
    return "fasta"
