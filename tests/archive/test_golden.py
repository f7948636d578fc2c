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
    name = re.sub(r"(\.v\d+)?(\.gru)?\.L\d\.dnac$", "", archive.name)
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


def _still_version_2(archive: Path) -> bool:
    """Whether this version-2 golden's level still writes version 2 (no repeat model)."""
    from dnacomp.models.levels import params_for_level

    kind = "fastq" if archive.name.startswith("fastq") else "fasta"
    return not params_for_level(int(archive.name[-6]), kind).rep.count


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


@pytest.mark.parametrize(
    "archive", [a for a in sorted(GOLDEN.glob("*.v2.L[15].dnac")) if _still_version_2(a)], ids=lambda a: a.name
)
def test_archives_without_the_gru_are_still_written_byte_for_byte_as_version_2(archive):
    """The GRU (version 3) and the repeat model (version 4) must not change what the context
    models write: the same original and level give the very same version-2 archive as when the
    goldens were made (after the header, whose metadata names the writer's version), wherever
    the level does not use the repeat model (FASTA levels 1-2, every FASTQ level)."""

    def body(data: bytes) -> bytes:
        meta_len = struct.unpack_from("<I", data, len(MAGIC) + 2)[0]
        return data[len(MAGIC) + 6 + meta_len + 4 :]

    level = int(archive.name[-6])
    new = dnacomp.compress_bytes(_original(archive).read_bytes(), level=level)
    assert new[: len(MAGIC) + 2] == archive.read_bytes()[: len(MAGIC) + 2]  # version 2
    assert body(new) == body(archive.read_bytes())


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
