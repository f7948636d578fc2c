"""Shared test fixtures: where the shared corpus lives, and its files uncompressed.

The corpus (real FASTA/FASTQ files, gzip-compressed) is not part of the repository; it is found
through ``$DNACOMP_CORPUS``, defaulting to ``<repo>/../shared/corpus``. Tests that need it are
skipped, not failed, when it is absent, so the suite runs anywhere.

Any test taking a ``fasta_corpus_file`` or ``fastq_corpus_file`` argument is run once per corpus
file of that kind (the argument is the path of the .gz file); ``corpus_bytes(path)`` returns the
uncompressed contents, cached, because dm3 alone takes a second to gunzip.
"""

from __future__ import annotations

import functools
import gzip
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from paths import CORPUS

# A child `dnacomp` prints what it would on a machine whose kernels are compiled: the one-line
# "compiling kernels" notice of a cold kernel cache is tested in test_kernel_cache.py (which turns
# it back on), and must not upset the tests that count a failing command's stderr lines.
os.environ.setdefault("DNACOMP_COMPILE_NOTICE", "0")

# A shell starts a background job (`pytest &`, nohup) with SIGINT ignored, and an ignored signal
# stays ignored in every child: a child dnacomp then rightly keeps ignoring Ctrl-C (as gzip does),
# and the tests that interrupt one see it finish with exit 0. Catching SIGINT here makes the
# children start with the default disposition, whatever started pytest.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _corpus_params(kind: str) -> list:
    folder = CORPUS / kind
    files = sorted(folder.glob("*.gz")) if folder.is_dir() else []
    if not files:
        reason = f"no {kind} corpus at {folder} (set DNACOMP_CORPUS)"
        return [pytest.param(None, id=f"no-{kind}-corpus", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(path, id=path.name) for path in files]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for kind in ("fasta", "fastq"):
        name = f"{kind}_corpus_file"
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, _corpus_params(kind))


@functools.lru_cache(maxsize=2)
def _gunzip(path: Path) -> bytes:
    with gzip.open(path, "rb") as handle:
        return handle.read()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The corpus directory; skips the test when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (set DNACOMP_CORPUS)")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_bytes() -> Callable[[Path], bytes]:
    """Function returning the uncompressed bytes of a corpus .gz file (cached)."""
    return _gunzip
