"""Writes the golden archives of the current format version. Run ONLY when the format version is
bumped on purpose:

    python reference/golden/regenerate.py

Every archive here must keep decoding to its original with every later dnacomp
(tests/test_golden.py). Archive names say original, format version and level:
NAME.L<level>.dnac (version 1) and NAME.v<version>.L<level>.dnac (later versions). Archives of
earlier versions are never rewritten: they are what users already have.

Version 3 is what archives that use the GRU (``--model gru``) are written as; archives without it
are still version 2. So the version-3 goldens are GRU archives (GRU_CASES), and the version-2
ones were written before the GRU existed.
"""

from pathlib import Path

import dnacomp
from dnacomp.archive import CM_VERSION, FORMAT_VERSION

HERE = Path(__file__).resolve().parent
CASES = {
    "fasta_layout.fa": (1, 5),
    "fasta_softmask_iupac.fa": (1, 5),
    "fasta_crlf_headerless.fa": (1, 5),
    "fastq_phred33.fq": (1, 5),
    "fastq_phred64_crlf.fq": (1, 5),
    "fastq_illumina_reads.fq": (1, 5),  # 100 reads of ERR127302: tokenised names, quality model
    "../lambda_virus.fa": (1, 5, 9),
}
GRU_CASES = {
    "fasta_softmask_iupac.fa": (5,),
    "fastq_illumina_reads.fq": (5,),
    "../lambda_virus.fa": (1, 9),
}


def write(cases: dict, version: int, model: str) -> None:
    for name, levels in cases.items():
        original = (HERE / name).read_bytes()
        for level in levels:
            tag = "" if version == 1 else f".v{version}"
            out = HERE / f"{Path(name).name}{tag}.L{level}.dnac"
            out.write_bytes(dnacomp.compress_bytes(original, level=level, model=model))
            print(out.name, len(original), "->", out.stat().st_size)


if __name__ == "__main__":
    import sys

    # the version to write: FORMAT_VERSION (default) writes the GRU goldens
    version = int(sys.argv[1]) if len(sys.argv) > 1 else FORMAT_VERSION
    if version == CM_VERSION:
        write(CASES, version, "cm")
    elif version == FORMAT_VERSION:
        write(GRU_CASES, version, "gru")
    else:
        sys.exit(f"this dnacomp writes versions {CM_VERSION} and {FORMAT_VERSION}, not {version}")
