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

Version 5 made every block an independent segment and added the index; every archive is written
as version 5 since, so this script can no longer write versions 2-4 (their goldens stay as they
are). The version-5 cases (SEGMENTED_CASES) cut most originals into several segments with a
small segment size, named NAME.v5[.gru].s<segment size>.L<level>.dnac; without ``.s`` the
original is one segment of the default size.

Version 6 lets a FASTQ block's qualities read its bases (quality codec version 2); every FASTQ
archive is written as version 6 since, FASTA archives stay version 5 (``archive.format_version``),
so ``regenerate.py 5`` writes the FASTA cases of SEGMENTED_CASES and ``regenerate.py 6``
(the default) the FASTQ cases of QUALITY_BASES_CASES, among them a few nanopore reads
(fastq_ont_cdna_reads.fq: the first 12 reads of the corpus's extra/ont_cdna_pcs109_sirv_5k,
whose qualities code with the bases) and Illumina reads (which code without).

Version 7 lets a FASTQ block's names be coded shaped (stream method 10: UUIDs apart, ISO
timestamps as numbers); every FASTQ archive is version 7 since, so ``regenerate.py 7`` (the
default) writes NAME_SHAPES_CASES: the nanopore reads, whose names code shaped, and Illumina
reads, whose names keep the plain tokeniser, and fastq_dorado_names.fq, whose names are coded in
groups of TAB-separated fields: the first 160 reads of extra/ont_cdna_pcs109_sirv_5k cut to 60
bases, their UUIDs kept and the rest of each name replaced by 14 Dorado-style SAM tags drawn
from a seeded generator (random.Random(15); no real Dorado file was at hand).
"""

import struct
from pathlib import Path

from dnacomp.archive import NAME_SHAPES_VERSION, SEGMENTED_VERSION
from dnacomp.container import MAGIC

HERE = Path(__file__).resolve().parent
#: what the goldens of versions 2-4 hold (written by earlier dnacomp versions; kept as a record)
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


#: version 5: (level, model, segment size or None for the default) per original
SEGMENTED_CASES = {
    "fasta_layout.fa": ((1, "cm", None), (5, "cm", 96)),
    "fasta_softmask_iupac.fa": ((5, "cm", 128),),
    "fasta_crlf_headerless.fa": ((3, "cm", 64),),
    "fastq_phred64_crlf.fq": ((1, "cm", 256),),
    "fastq_illumina_reads.fq": ((5, "cm", 4096), (5, "gru", 4096)),
    "../lambda_virus.fa": ((5, "cm", 16384), (9, "cm", None), (5, "gru", 16384)),
}


#: version 6: (level, model, segment size or None for the default) per FASTQ original
QUALITY_BASES_CASES = {
    "fastq_ont_cdna_reads.fq": ((5, "cm", None), (1, "cm", 8192), (5, "gru", 8192)),
    "fastq_illumina_reads.fq": ((5, "cm", 4096),),
    "fastq_phred33.fq": ((1, "cm", None),),
}


#: version 7: (level, model, segment size or None for the default) per FASTQ original
NAME_SHAPES_CASES = {
    "fastq_ont_cdna_reads.fq": ((5, "cm", None), (2, "cm", 8192), (5, "gru", 8192)),
    "fastq_illumina_reads.fq": ((5, "cm", 4096),),
    "fastq_dorado_names.fq": ((5, "cm", None),),
}


def write_segmented(cases: dict, version: int) -> None:
    """``cases``: original -> ((level, model, segment size), ...), all written as ``version``."""
    for name, runs in cases.items():
        original = (HERE / name).read_bytes()
        for level, model, size in runs:
            import io

            from dnacomp.archive import SEGMENT_SIZE, compress_stream

            out_bytes = io.BytesIO()
            compress_stream(
                io.BytesIO(original), out_bytes, level=level, model=model, segment_size=size or SEGMENT_SIZE
            )
            data = out_bytes.getvalue()
            written = struct.unpack_from("<H", data, len(MAGIC))[0]
            if written != version:
                raise SystemExit(f"{name} is version {written}, not {version}")
            tags = ("" if model == "cm" else f".{model}") + ("" if size is None else f".s{size}")
            out = HERE / f"{Path(name).name}.v{version}{tags}.L{level}.dnac"
            out.write_bytes(data)
            print(out.name, len(original), "->", len(data))


if __name__ == "__main__":
    import sys

    version = int(sys.argv[1]) if len(sys.argv) > 1 else NAME_SHAPES_VERSION
    if version == SEGMENTED_VERSION:
        write_segmented({k: v for k, v in SEGMENTED_CASES.items() if not k.endswith(".fq")}, version)
    elif version == NAME_SHAPES_VERSION:
        write_segmented(NAME_SHAPES_CASES, version)
    else:  # version 6 (QUALITY_BASES_CASES) was written by the dnacomp before version 7
        sys.exit(
            f"this dnacomp writes versions {SEGMENTED_VERSION} (FASTA) and "
            f"{NAME_SHAPES_VERSION} (FASTQ) only, not {version}"
        )
