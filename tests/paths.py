"""Where the tests find the repository, its reference files and the shared corpus: one place, so
that a test can live at any depth of tests/ and the corpus can be moved with $DNACOMP_CORPUS."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "reference"
GOLDEN = REFERENCE / "golden"
LAMBDA_FA = REFERENCE / "lambda_virus.fa"
#: real FASTA/FASTQ files (not in the repository); tests that need them skip when it is absent
CORPUS = Path(os.environ.get("DNACOMP_CORPUS", REPO.parent / "shared" / "corpus"))
