"""A short fuzzing budget in CI (tests/fuzzing.py runs the long one by hand)."""

import io
import time

import pytest
from fuzzing import SEED_FILES, Report, check_case, claim_more_bases, fuzz, make_archive, reseal, split_archive

from dnacomp.archive import decompress_stream
from dnacomp.errors import ArchiveError


def test_fuzzed_archives_fail_cleanly_or_restore_exactly():
    report = fuzz(seconds=15, seed=20261125)
    assert report.cases > 300
    assert report.failures == []
    assert {
        "bitflip+resealed",
        "shuffle",
        "huge-length",
        "truncate@block",
        "claims-many-bases+resealed",
        "index-bitflip+resealed",
        "index-dropped",
        "index-swapped",
        "extract",
    } <= set(report.by_kind)


def test_fuzz_seeds_reach_the_name_and_quality_decoders():
    """Guards the fuzzer: its FASTQ seed is coded with the tokeniser and the quality model."""
    from dnacomp.archive import inspect_stream

    stats = inspect_stream(io.BytesIO(make_archive(SEED_FILES["fastq-illumina"], chunk_size=1 << 20)))
    assert stats.stream_methods["names"] == {"names"}
    assert stats.stream_methods["qualities"] == {"quality-cm"}


def test_reseal_makes_damage_reach_the_decoders():
    """Guards the fuzzer itself: a resealed archive passes the framing checks."""
    data = SEED_FILES["fasta"]
    archive = make_archive(data, chunk_size=64)
    assert len(split_archive(archive).blocks) > 1
    assert reseal(archive) == archive
    report = Report()
    check_case("identity", archive, data, report, time_limit=30)
    assert report.failures == []
    check_case("wrong-original", archive, data + b"x", report, time_limit=30)
    assert report.failures == ["wrong-original: decoded to different bytes without an error"]


def test_a_block_claiming_100m_bases_is_rejected_within_a_second():
    parts = split_archive(make_archive(SEED_FILES["fasta"], chunk_size=1 << 20))
    parts.blocks[0] = claim_more_bases(parts.blocks[0], 100_000_000)
    damaged = reseal(parts.join())
    start = time.perf_counter()
    with pytest.raises(ArchiveError, match="base stream"):
        decompress_stream(io.BytesIO(damaged), io.BytesIO())
    assert time.perf_counter() - start < 1.0


def test_fuzz_seeds_include_a_gru_archive():
    """Guards the fuzzer: damage also reaches the GRU's decoder (format version 3)."""
    from fuzzing import GRU_SEEDS

    from dnacomp.archive import inspect_stream

    assert GRU_SEEDS
    stats = inspect_stream(io.BytesIO(make_archive(SEED_FILES[GRU_SEEDS[0]], model="gru")))
    assert stats.params["gru_mode"]
