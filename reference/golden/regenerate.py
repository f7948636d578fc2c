"""Writes the golden archives of the current format version. Run ONLY when the format version is
bumped on purpose:

    python reference/golden/regenerate.py

Every archive here must keep decoding to its original with every later dnacomp
(tests/test_golden.py). Archive names say original, format version and level:
NAME.L<level>.dnac (version 1) and NAME.v<version>.L<level>.dnac (later versions). Archives of
earlier versions are never rewritten: they are what users already have.

Each archive is written as the oldest version that has the models it uses
(``archive.version_for``): version 2 without the GRU and the repeat model, 3 with the GRU, 4 with
the repeat model (FASTA levels 3-9), with or without the GRU. So the version-3 goldens are GRU
archives (GRU_CASES) and the version-4 ones repeat-model archives (REPEAT_CASES); the version-2
ones were written before the GRU existed. A case that would come out as another version than the
one asked for (level 9 with the GRU is version 4 now) is refused, not written under a wrong name.
"""

import struct
from pathlib import Path

import dnacomp
from dnacomp.archive import CM_VERSION, GRU_VERSION, REPEAT_VERSION
from dnacomp.container import MAGIC

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
#: version 4: (level, model) per original
REPEAT_CASES = {
    "fasta_layout.fa": ((5, "cm"),),
    "fasta_softmask_iupac.fa": ((3, "cm"), (5, "cm")),
    "fasta_crlf_headerless.fa": ((5, "cm"),),
    "../lambda_virus.fa": ((5, "cm"), (9, "cm"), (5, "gru")),
}


def write(cases: dict, version: int) -> None:
    """``cases``: original -> ((level, model), ...)."""
    for name, runs in cases.items():
        original = (HERE / name).read_bytes()
        for level, model in runs:
            data = dnacomp.compress_bytes(original, level=level, model=model)
            written = struct.unpack_from("<H", data, len(MAGIC))[0]
            if written != version:
                raise SystemExit(f"{name} at level {level} ({model}) is version {written}, not {version}")
            # version 3 archives are all GRU ones, and their names never said so
            suffix = "" if model == "cm" or version == GRU_VERSION else f".{model}"
            out = HERE / f"{Path(name).name}.v{version}{suffix}.L{level}.dnac"
            out.write_bytes(data)
            print(out.name, len(original), "->", len(data))


if __name__ == "__main__":
    import sys

    # the version to write (default: the newest)
    version = int(sys.argv[1]) if len(sys.argv) > 1 else REPEAT_VERSION
    cases = {
        CM_VERSION: {name: tuple((lv, "cm") for lv in levels) for name, levels in CASES.items()},
        GRU_VERSION: {name: tuple((lv, "gru") for lv in levels) for name, levels in GRU_CASES.items()},
        REPEAT_VERSION: REPEAT_CASES,
    }
    if version not in cases:
        sys.exit(f"this dnacomp writes versions {', '.join(map(str, cases))}, not {version}")
    write(cases[version], version)
