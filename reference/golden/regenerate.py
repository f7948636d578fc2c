"""Rebuilds the golden archives. Run ONLY when the format version is bumped on purpose:

    python reference/golden/regenerate.py

Every archive here must keep decoding to its original with every later dnacomp of the same
format version (tests/test_golden.py). Archive names say original and level: NAME.L<level>.dnac.
"""
from pathlib import Path

import dnacomp

HERE = Path(__file__).resolve().parent
CASES = {
    "fasta_layout.fa": (1, 5),
    "fasta_softmask_iupac.fa": (1, 5),
    "fasta_crlf_headerless.fa": (1, 5),
    "fastq_phred33.fq": (1, 5),
    "fastq_phred64_crlf.fq": (1, 5),
    "../lambda_virus.fa": (1, 5, 9),
}

if __name__ == "__main__":
    for name, levels in CASES.items():
        original = (HERE / name).read_bytes()
        for level in levels:
            out = HERE / f"{Path(name).name}.L{level}.dnac"
            out.write_bytes(dnacomp.compress_bytes(original, level=level))
            print(out.name, len(original), "->", out.stat().st_size)
