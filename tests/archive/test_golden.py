"""Format stability: archives written by earlier versions must decode to their originals.

The archives in reference/golden/ were made by reference/golden/regenerate.py. If this test fails
after a model or container change, that change broke every archive users already have: keep the
old behaviour for the old format version, or bump FORMAT_VERSION on purpose and say so.
"""

import re
import struct
from pathlib import Path

import pytest
from paths import GOLDEN

import dnacomp
from dnacomp.archive import READABLE_VERSIONS
from dnacomp.container import MAGIC

ARCHIVES = sorted(GOLDEN.glob("*.dnac"))


def _original(archive: Path) -> Path:
    name = re.sub(r"(\.v\d+)?(\.gru)?(\.s\d+)?\.L\d\.dnac$", "", archive.name)
    candidate = GOLDEN / name
    return candidate if candidate.exists() else GOLDEN.parent / name


def test_every_format_feature_has_a_golden_archive():
    originals = {_original(a).name for a in ARCHIVES}
    assert {
        "fasta_layout.fa",
        "fasta_softmask_iupac.fa",
        "fasta_crlf_headerless.fa",
        "fastq_phred33.fq",
        "fastq_phred64_crlf.fq",
        "fastq_illumina_reads.fq",
        "lambda_virus.fa",
    } <= originals


def test_the_version_2_stream_methods_have_golden_archives():
    from dnacomp.archive import inspect_stream

    methods = set()
    for archive in GOLDEN.glob("*.v2.*.dnac"):
        with archive.open("rb") as f:
            for used in inspect_stream(f).stream_methods.values():
                methods |= used
    assert {"names", "quality-cm"} <= methods


def test_the_version_3_goldens_use_the_gru():
    from dnacomp.archive import inspect_stream

    v3 = sorted(GOLDEN.glob("*.v3.*.dnac"))
    assert len(v3) >= 3
    for archive in v3:
        with archive.open("rb") as f:
            assert inspect_stream(f).params.get("gru_mode"), archive.name


def test_every_readable_version_has_golden_archives():
    versions = {int(struct.unpack("<H", a.read_bytes()[len(MAGIC) : len(MAGIC) + 2])[0]) for a in ARCHIVES}
    assert versions == set(READABLE_VERSIONS)


@pytest.mark.parametrize("archive", ARCHIVES, ids=[a.name for a in ARCHIVES])
def test_golden_archive_decodes_to_its_original(archive):
    assert dnacomp.decompress_bytes(archive.read_bytes()) == _original(archive).read_bytes()


def test_the_version_4_goldens_use_the_repeat_model_with_and_without_the_gru():
    from dnacomp.archive import inspect_stream

    v4 = sorted(GOLDEN.glob("*.v4.*dnac"))
    assert len(v4) >= 5
    gru = 0
    for archive in v4:
        with archive.open("rb") as f:
            params = inspect_stream(f).params
        assert params.get("rep_count"), archive.name
        gru += bool(params.get("gru_mode"))
    assert gru >= 1


def _blocks(data: bytes) -> bytes:
    """An archive's blocks: the bytes after the header and before the index (version 5) or the
    footer (versions 1-4)."""
    from dnacomp.container import FOOTER_SIZE, INDEXED_FOOTER_SIZE

    version = struct.unpack_from("<H", data, len(MAGIC))[0]
    meta_len = struct.unpack_from("<I", data, len(MAGIC) + 2)[0]
    start = len(MAGIC) + 6 + meta_len + 4
    if version < 5:  # (5, 6 and 7 frame blocks alike)
        return data[start:-FOOTER_SIZE]
    index_len = struct.unpack_from("<Q", data, len(data) - INDEXED_FOOTER_SIZE + 48)[0]
    return data[start : len(data) - INDEXED_FOOTER_SIZE - index_len]


def _same_level_today(archive: Path) -> bool:
    """Whether this one-block golden's level still means the same base model (FASTA levels 3-9
    took the repeat model in version 4), so today's writer must code it the same."""
    from dnacomp import archive as arc
    from dnacomp.models.levels import params_for_level

    with archive.open("rb") as f:
        stats = arc.inspect_stream(f)
    kind = "fastq" if archive.name.startswith("fastq") else "fasta"
    model = "gru" if stats.params.get("gru_mode") else "cm"
    return stats.n_blocks == 1 and params_for_level(stats.level, kind, model).to_dict() == stats.params


ONE_BLOCK = [a for a in ARCHIVES if re.search(r"\.v[24]\.(gru\.)?L\d\.dnac$", a.name) and _same_level_today(a)]


@pytest.mark.parametrize("archive", ONE_BLOCK, ids=lambda a: a.name)
def test_segments_change_nothing_a_one_block_archive_codes(archive):
    """Segments (version 5) change the framing around the blocks, never a block: the same
    original and level give, block for block, the very bytes the version-2 and version-4
    goldens hold, wherever the level still means the same model and the original is one block.
    (FASTQ is version 7: these Illumina qualities code best without the bases and their names
    without shapes, so their streams are those of before.)"""
    from dnacomp.archive import format_version

    level = int(archive.name[-6])
    model = "gru" if ".gru." in archive.name else "cm"
    new = dnacomp.compress_bytes(_original(archive).read_bytes(), level=level, model=model)
    kind = "fastq" if archive.name.startswith("fastq") else "fasta"
    assert struct.unpack_from("<H", new, len(MAGIC))[0] == format_version(kind)
    assert _blocks(new) == _blocks(archive.read_bytes())


def test_the_version_5_goldens_have_several_segments_fasta_fastq_and_the_gru():
    from dnacomp.archive import inspect_stream

    v5 = sorted(GOLDEN.glob("*.v5.*dnac"))
    kinds, gru, several = set(), 0, 0
    for archive in v5:
        with archive.open("rb") as f:
            stats = inspect_stream(f)
        kinds.add(stats.kind)
        gru += bool(stats.params.get("gru_mode"))
        several += stats.n_blocks > 1
    assert kinds == {"fasta", "fastq"} and gru >= 2 and several >= 6


@pytest.mark.parametrize("archive", sorted(GOLDEN.glob("*.v5.*dnac")), ids=lambda a: a.name)
def test_every_record_of_a_version_5_golden_extracts_as_biopython_reads_it(archive):
    """Random access to the goldens: each FASTA record fetched alone equals Bio.SeqIO's reading
    of the original (an independent parser; the goldens cut records across segments and have
    ragged layouts that samtools refuses to index)."""
    from Bio import SeqIO

    original = _original(archive)
    if not original.name.endswith(".fa") or not original.read_bytes().startswith(b">"):
        return  # FASTQ, or headerless: no record to name
    with dnacomp.open_archive(str(archive)) as reader:
        expected = {}
        for rec in SeqIO.parse(str(original), "fasta"):
            expected.setdefault(rec.id, str(rec.seq))
        names = [r.name for r in reader.records()]
        assert sorted(set(names)) == sorted(expected)
        for name in set(names):
            assert reader.fetch(name) == expected[name], name


@pytest.mark.parametrize("archive", ARCHIVES, ids=[a.name for a in ARCHIVES])
def test_info_accepts_every_golden_archive_and_agrees_with_test(archive):
    """`info` checks the header's metadata and the footer against the blocks: every archive
    ever written passes those checks, and `info` reports what `test` finds."""
    import io

    from dnacomp.archive import decompress_stream, inspect_stream

    info = inspect_stream(io.BytesIO(archive.read_bytes()))
    test = decompress_stream(io.BytesIO(archive.read_bytes()), None)
    assert (info.kind, info.level, info.n_blocks, info.input_bytes, info.n_symbols, info.n_records) == (
        test.kind,
        test.level,
        test.n_blocks,
        test.input_bytes,
        test.n_symbols,
        test.n_records,
    )
    assert info.input_bytes == len(_original(archive).read_bytes())


def _fastq_goldens_of(version: int, stream: str) -> tuple[set[str], int, int]:
    """Over the goldens of ``version`` (all FASTQ): the methods ``stream`` is coded with, how many
    use the GRU and how many have several segments."""
    from dnacomp.archive import inspect_stream

    methods, gru, several = set(), 0, 0
    for archive in sorted(GOLDEN.glob(f"*.v{version}.*dnac")):
        with archive.open("rb") as f:
            stats = inspect_stream(f)
        assert stats.kind == "fastq", archive.name
        methods |= stats.stream_methods.get(stream, set())
        gru += bool(stats.params.get("gru_mode"))
        several += stats.n_blocks > 1
    return methods, gru, several


def test_the_version_6_goldens_hold_qualities_coded_with_and_without_the_bases():
    methods, gru, several = _fastq_goldens_of(6, "qualities")
    assert {"quality-cm+bases", "quality-cm"} <= methods and gru >= 1 and several >= 2


def test_the_version_7_goldens_hold_shaped_and_plain_names():
    methods, gru, several = _fastq_goldens_of(7, "names")
    assert {"names-shaped", "names"} <= methods and gru >= 1 and several >= 2


def test_a_version_7_golden_holds_names_coded_in_groups_of_fields():
    from dnacomp.codecs.fields import _encode_names
    from dnacomp.codecs.name_shapes import F_COLUMNS
    from dnacomp.formats import PARSERS

    original = (GOLDEN / "fastq_dorado_names.fq").read_bytes()
    assert (GOLDEN / "fastq_dorado_names.fq.v7.L5.dnac").exists()
    streams = PARSERS["fastq"](original, "golden", 1, 1)
    coded = _encode_names(streams.fields["names"], streams.n_records, shapes=True)
    assert coded[1] == F_COLUMNS  # what the golden's names stream holds (one segment, level 5)
