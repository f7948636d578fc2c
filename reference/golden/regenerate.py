"""Writes the golden archives of the current format version. Run ONLY when the format version is
bumped on purpose:

    python reference/golden/regenerate.py

Every archive here must keep decoding to its original with every later dnacomp
(tests/test_golden.py). Archive names say original, format version and level:
NAME.L<level>.dnac (version 1) and NAME.v<version>.L<level>.dnac (later versions). Archives of
earlier versions are never rewritten: they are what users already have.
"""
from pathlib import Path

import dnacomp
from dnacomp.container import FORMAT_VERSION

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

if __name__ == "__main__":
    for name, levels in CASES.items():
        original = (HERE / name).read_bytes()
        for level in levels:
            tag = "" if FORMAT_VERSION == 1 else f".v{FORMAT_VERSION}"
            out = HERE / f"{Path(name).name}{tag}.L{level}.dnac"
            out.write_bytes(dnacomp.compress_bytes(original, level=level))
            print(out.name, len(original), "->", out.stat().st_size)
