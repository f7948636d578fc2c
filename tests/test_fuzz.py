"""A short fuzzing budget in CI (tests/fuzzing.py runs the long one by hand)."""
from fuzzing import SEED_FILES, check_case, fuzz, make_archive, Report, reseal, split_archive


def test_fuzzed_archives_fail_cleanly_or_restore_exactly():
    report = fuzz(seconds=15, seed=20261125)
    assert report.cases > 500
    assert report.failures == []
    assert {"bitflip+resealed", "shuffle", "huge-length", "truncate@block"} <= set(report.by_kind)


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
