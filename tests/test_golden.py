"""Format stability: archives written by earlier versions must decode to their originals.

The archives in reference/golden/ were made by reference/golden/regenerate.py. If this test fails
after a model or container change, that change broke every archive users already have: keep the
old behaviour for the old format version, or bump FORMAT_VERSION on purpose and say so.
"""
import re
from pathlib import Path

import pytest

import dnacomp

GOLDEN = Path(__file__).resolve().parents[1] / "reference" / "golden"
ARCHIVES = sorted(GOLDEN.glob("*.dnac"))


def _original(archive: Path) -> Path:
    name = re.sub(r"\.L\d\.dnac$", "", archive.name)
    candidate = GOLDEN / name
    return candidate if candidate.exists() else GOLDEN.parent / name


def test_every_format_feature_has_a_golden_archive():
    originals = {_original(a).name for a in ARCHIVES}
    assert {"fasta_layout.fa", "fasta_softmask_iupac.fa", "fasta_crlf_headerless.fa",
            "fastq_phred33.fq", "fastq_phred64_crlf.fq", "lambda_virus.fa"} <= originals


@pytest.mark.parametrize("archive", ARCHIVES, ids=[a.name for a in ARCHIVES])
def test_golden_archive_decodes_to_its_original(archive):
    assert dnacomp.decompress_bytes(archive.read_bytes()) == _original(archive).read_bytes()
