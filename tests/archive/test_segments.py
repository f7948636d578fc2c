"""Format version 5: independent segments, all cores, the index and random access (issue 13).

The oracles are independent of dnacomp: pysam (samtools faidx) for regions and the .fai, the
original bytes for FASTQ read ranges, Bio.SeqIO where samtools refuses a layout.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import CORPUS, GOLDEN, REFERENCE

import dnacomp
from dnacomp.archive import (
    SEGMENT_SIZE,
    balanced_segment_size,
    compress_stream,
    decompress_stream,
    inspect_stream,
)
from dnacomp.errors import ArchiveError, DnacompError
from dnacomp.formats.records import RecordEntry, RecordScanner, residues
from dnacomp.index import ArchiveIndex, SegmentEntry, pack_index, unpack_index
from dnacomp.parallel import workers_for

LAMBDA = REFERENCE / "lambda_virus.fa"


def run_cli(*args, stdin: bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, timeout=timeout)


def _compress(data: bytes, *, level: int = 1, segment_size: int | None = None, threads: int = 1, **kw) -> bytes:
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, level=level, segment_size=segment_size, threads=threads, **kw)
    return out.getvalue()


def _restore(archive: bytes, threads: int = 1) -> bytes:
    out = io.BytesIO()
    decompress_stream(io.BytesIO(archive), out, threads=threads)
    return out.getvalue()


def _corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return gzip.decompress(path.read_bytes())


# --- segments: boundaries from the input alone ----------------------------------------------------


@pytest.mark.parametrize("level,model", [(1, "cm"), (5, "cm"), (1, "gru")])
def test_every_thread_count_writes_the_same_archive(level, model):
    data = LAMBDA.read_bytes()
    one = _compress(data, level=level, model=model, segment_size=9000)
    assert inspect_stream(io.BytesIO(one)).n_blocks >= 5
    for threads in (2, 8):
        assert _compress(data, level=level, model=model, segment_size=9000, threads=threads) == one
    assert _restore(one, threads=2) == data == _restore(one, threads=8)


def test_every_thread_count_writes_the_same_fastq_archive():
    data = _corpus("fastq/ERR127302_1_subset.fastq.gz")[: 1 << 20]
    data = data[: data.rfind(b"\n@") + 1]
    one = _compress(data, segment_size=200_000)
    assert _compress(data, segment_size=200_000, threads=2) == one
    assert inspect_stream(io.BytesIO(one)).n_blocks >= 5
    assert _restore(one, threads=2) == data


def test_an_input_smaller_than_a_segment_is_one_segment():
    for data in (LAMBDA.read_bytes(), b"@r\nACGT\n+\nIIII\n", b""):
        assert inspect_stream(io.BytesIO(dnacomp.compress_bytes(data))).n_blocks == (1 if data else 0)


def test_fasta_segments_hold_whole_records_where_they_fit():
    records = b"".join(b">r%d\n%s\n" % (i, b"ACGT" * (10 + i % 7)) for i in range(200))
    archive = _compress(records, segment_size=1000)
    with io.BytesIO(archive) as f:
        stats = inspect_stream(f)
    assert stats.n_blocks >= 8
    # every segment starts with a header: no record is split
    index = _reader_index(archive)
    assert all(r.gap == 0 for r in index.records)
    starts = index.segment_starts()
    record_starts = set(index.record_starts())
    assert all(s in record_starts for s in starts[:-1])


def _reader_index(archive: bytes) -> ArchiveIndex:
    from dnacomp.container import INDEXED_FOOTER_SIZE, IndexSection, parse_footer

    footer = parse_footer(archive[-INDEXED_FOOTER_SIZE:], 5)
    section = archive[len(archive) - INDEXED_FOOTER_SIZE - footer.index_len : len(archive) - INDEXED_FOOTER_SIZE]
    assert isinstance(IndexSection(section[12:-4], len(section)), IndexSection)
    return unpack_index(section[12:-4])


def test_a_record_longer_than_a_segment_is_cut_at_a_line_and_restores():
    data = b">long\n" + b"ACGTTGCA" * 1000 + b"\n" + b"".join(b"ACGTAC\n" for _ in range(500))
    archive = _compress(data, segment_size=777)
    assert inspect_stream(io.BytesIO(archive)).n_blocks >= 5  # the 8000-byte line is one of them
    assert _restore(archive) == data


@given(size=st.integers(1, 1 << 40), target=st.integers(1 << 10, 1 << 30))
def test_balanced_segments_are_equal_and_never_above_the_target_by_more_than_the_slack(size, target):
    seg = balanced_segment_size(size, target)
    n = -(-size // seg)
    assert seg <= target + target // 32 + 1
    assert n <= max(1, -(-size // target))  # no more segments than the target needs
    assert seg * n - size < seg  # equal segments: the last one is not a sliver
    assert size - (n - 1) * seg >= 0


def test_the_default_target_depends_on_kind_and_level_only():
    from dnacomp.archive import segment_target

    assert segment_target("fasta", 5) == SEGMENT_SIZE == 32 << 20
    assert segment_target("fasta", 9) == 128 << 20 and segment_target("fastq", 9) == 8 << 20
    reads = b"@r\nACGT\n+\nIIII\n" * 600_000  # 9.6 MB: two segments of FASTQ, one of FASTA
    assert inspect_stream(io.BytesIO(dnacomp.compress_bytes(reads, level=1))).n_blocks == 2


def test_long_reads_take_the_longer_segments_of_genomes():
    """Long reads pay for relearning as genomes do (at -5, one segment against 8 MiB ones: ONT
    cDNA -1.9%, PacBio -0.8%), so a FASTQ whose first lines average 256 bytes or more takes
    32 MiB segments; its first bytes decide, so every thread count writes the same archive."""
    from dnacomp.archive import LONG_READS_SEGMENT_SIZE, long_reads, segment_target

    read = b"@r\n" + b"ACGT" * 250 + b"\n+\n" + b"I" * 1000 + b"\n"  # 1,000 bases
    short = b"@r\n" + b"ACGT" * 37 + b"\n+\n" + b"I" * 148 + b"\n"  # 148 bases
    assert long_reads(read * 60) and segment_target("fastq", 5, read * 60) == LONG_READS_SEGMENT_SIZE == 32 << 20
    assert not long_reads(short * 400) and segment_target("fastq", 5, short * 400) == 8 << 20
    assert long_reads(b"@r\n" + b"A" * 70_000) and not long_reads(b"") and not long_reads(b"@r\nACGT\n+\nIIII\n")
    assert segment_target("fasta", 5, read * 60) == SEGMENT_SIZE  # FASTA: the level decides
    reads = read * 9000  # 9.0 MB of 1 kb reads: one segment, where short reads take two
    archive = dnacomp.compress_bytes(reads, level=1)
    assert inspect_stream(io.BytesIO(archive)).n_blocks == 1
    assert _compress(reads, threads=2) == _compress(reads, threads=1)


def test_the_default_segment_size_splits_a_known_input_evenly():
    assert balanced_segment_size(None) == SEGMENT_SIZE == balanced_segment_size(100)
    two = balanced_segment_size(55_532_466)  # dm3
    assert 55_532_466 / 2 <= two < SEGMENT_SIZE


def test_memory_lowers_the_thread_count_and_never_below_one():
    per = 100 << 20
    assert workers_for(8, per, 1 << 20, None) == 8
    assert workers_for(8, per, 1 << 20, 3 * (per + (4 << 20))) == 3
    assert workers_for(8, per, 1 << 20, 1) == 1


# --- generated edge cases -------------------------------------------------------------------------

_LINE = st.sampled_from([b"ACGT", b"acgtNNNN", b"A", b"", b"RYKMacgt" * 3, b"N" * 20])


@st.composite
def _fasta(draw) -> bytes:
    out = []
    if draw(st.booleans()):
        out.append(draw(_LINE) + b"\n")  # a headerless start
    for i in range(draw(st.integers(0, 12))):
        out.append(b">" + draw(st.sampled_from([b"r", b"chr1 desc", b"x:1-2", b"dup", b""])) + b"%d\n" % (i % 3))
        out += [draw(_LINE) + draw(st.sampled_from([b"\n", b"\r\n"])) for _ in range(draw(st.integers(0, 6)))]
    return b"".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_fasta(), segment=st.integers(1, 300), threads=st.sampled_from([1, 2]))
def test_generated_fasta_round_trips_and_every_record_fetches_its_residues(tmp_path_factory, data, segment, threads):
    archive = _compress(data, segment_size=segment, threads=threads)
    assert _restore(archive, threads=threads) == data
    scanner = RecordScanner()
    scanner.feed(data)
    seq = residues(data).tobytes() if data else b""
    path = tmp_path_factory.mktemp("g") / "x.dnac"
    path.write_bytes(archive)
    with dnacomp.open_archive(str(path)) as reader:
        pos, seen = 0, set()
        for entry in scanner.records:
            pos += entry.gap
            if entry.name not in seen:
                seen.add(entry.name)
                assert reader.fetch_bytes(entry.name) == seq[pos : pos + entry.length]
                assert reader.fetch_bytes(entry.name, 1, 3) == seq[pos : pos + entry.length][1:3]
            pos += entry.length


@given(
    segments=st.lists(st.tuples(*[st.integers(0, 1 << 40)] * 5, st.integers(0, (1 << 32) - 1)), max_size=5),
    records=st.lists(st.tuples(st.binary(max_size=8), *[st.integers(0, 1 << 33)] * 5), max_size=8),
)
def test_the_index_packs_and_unpacks_exactly(segments, records):
    index = ArchiveIndex([SegmentEntry(*s) for s in segments], [RecordEntry(*r) for r in records])
    back = unpack_index(pack_index(index))
    back.attach_headers([r.header for r in index.records])
    assert back == index


def test_a_damaged_index_is_an_archive_error():
    packed = pack_index(ArchiveIndex([SegmentEntry(1, 2, 3, 4, 5, 6)], [RecordEntry(b"x", 1, 0, 1, 2, 3)]))
    for cut in range(len(packed)):
        with pytest.raises(ArchiveError):
            unpack_index(packed[:cut])


# --- random access against samtools ---------------------------------------------------------------


def _samtools_faidx(path, *args) -> bytes:
    """`samtools faidx` through pysam, in a subprocess: pysam prints its output to the process's
    own standard output."""
    code = "import sys, pysam; pysam.faidx(*sys.argv[1:])"
    res = subprocess.run([sys.executable, "-c", code, str(path), *args], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def ecoli(tmp_path_factory):
    """E. coli 536 in 8 segments of level 1, with a soft-masked, N-holding record appended."""
    pysam = pytest.importorskip("pysam")
    data = _corpus("fasta/ecoli_536.fna.gz")
    extra = b">masked test\n" + b"".join(b"ACGTacgtNNNNNNNNRYacgt" * 3 + b"\n" for _ in range(40))
    data += extra
    d = tmp_path_factory.mktemp("ecoli")
    original = d / "ecoli.fa"
    original.write_bytes(data)
    archive = d / "ecoli.fa.dnac"
    archive.write_bytes(_compress(data, segment_size=len(data) // 8 + 1))
    return original, archive, pysam.FastaFile(str(original))


def test_regions_equal_pysam_across_segment_cuts_masks_ns_and_the_last_base(ecoli):
    original, archive, fasta = ecoli
    with dnacomp.open_archive(str(archive)) as reader:
        assert reader.n_segments >= 8
        index = reader.members[0].index
        chrom = fasta.references[0]
        cuts = index.segment_starts()[1:-1]
        regions = [(chrom, c - 5, c + 5) for c in cuts]  # each spans a segment cut
        regions += [(chrom, cuts[0] - 3000, cuts[2] + 70)]  # three segments
        n = fasta.get_reference_length("masked")
        regions += [("masked", 0, n), ("masked", 7, 20), ("masked", n - 1, n), (chrom, 0, 1)]
        for name in fasta.references:
            length = fasta.get_reference_length(name)
            regions.append((name, length - 1, length))  # the last base of each record
        for name, beg, end in regions:
            assert reader.fetch(name, beg, end) == fasta.fetch(name, beg, end), (name, beg, end)


def test_extract_text_equals_samtools_faidx(ecoli, tmp_path):
    original, archive, fasta = ecoli
    chrom = fasta.references[0]
    regions = [chrom + ":1000-1100", "masked", "masked:5-30", chrom + ":100", fasta.references[-1] + ":1-5"]
    ours = run_cli("extract", str(archive), *regions, timeout=300)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == _samtools_faidx(original, *regions)
    rc = run_cli("extract", "-i", str(archive), "masked:3-40", timeout=300)
    assert rc.stdout == _samtools_faidx(original, "-i", "masked:3-40")
    listed = tmp_path / "regions.txt"
    listed.write_text("\n".join(regions) + "\n")
    from_file = run_cli("extract", str(archive), "-r", str(listed), "-o", str(tmp_path / "out.fa"), timeout=300)
    assert from_file.returncode == 0, from_file.stderr
    assert (tmp_path / "out.fa").read_bytes() == ours.stdout


def test_the_fai_equals_samtools(ecoli, tmp_path):
    original, archive, _ = ecoli
    res = run_cli("extract", "--fai", str(archive), timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout == (original.parent / (original.name + ".fai")).read_bytes()  # written by pysam


def test_one_region_in_the_middle_of_a_long_record_decodes_one_segment(ecoli):
    _, archive, fasta = ecoli
    chrom = fasta.references[0]
    middle = fasta.get_reference_length(chrom) // 2
    with dnacomp.open_archive(str(archive)) as reader:
        starts = reader.members[0].index.segment_starts()
        while any(middle <= c < middle + 1000 for c in starts):
            middle += 1000
        assert reader.fetch(chrom, middle, middle + 1000) == fasta.fetch(chrom, middle, middle + 1000)
        assert len(reader.decoded) == 1
    res = run_cli("extract", "-v", str(archive), f"{chrom}:{middle + 1}-{middle + 1000}", timeout=300)
    assert f"decoded 1 of {reader.n_segments} segments" in res.stderr.decode()


def test_info_records_lists_names_and_lengths(ecoli):
    _, archive, fasta = ecoli
    res = run_cli("info", "--records", str(archive), timeout=300)
    assert res.returncode == 0, res.stderr
    listed = [line.split("\t") for line in res.stdout.decode().splitlines() if "\t" in line]
    assert [(n, int(length)) for n, length in listed] == [(n, fasta.get_reference_length(n)) for n in fasta.references]


def test_a_damaged_segment_is_named_and_the_others_still_extract(ecoli, tmp_path):
    original, archive, fasta = ecoli
    data = bytearray(archive.read_bytes())
    index = _reader_index(bytes(data))
    hit = 3
    data[index.segments[hit].offset + 200] ^= 0x40  # inside segment 3's payloads
    damaged = tmp_path / "damaged.dnac"
    damaged.write_bytes(bytes(data))
    chrom = fasta.references[0]
    starts = index.segment_starts()
    with dnacomp.open_archive(str(damaged)) as reader:
        good = starts[1] + 10
        assert reader.fetch(chrom, good, good + 100) == fasta.fetch(chrom, good, good + 100)
        with pytest.raises(ArchiveError, match=r"segment 3 \(record 1 \(") as err:
            reader.fetch(chrom, starts[hit] + 10, starts[hit] + 20)
        assert "damaged" in str(err.value)
    res = run_cli("test", str(damaged), timeout=300)
    assert res.returncode == 1 and b"Traceback" not in res.stderr


# --- FASTQ read ranges ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    data = _corpus("fastq/hiseq_art_test1.fastq.gz")
    path = tmp_path_factory.mktemp("fq") / "reads.fq.dnac"
    path.write_bytes(_compress(data, segment_size=150_000))
    return data, path


def test_fastq_read_ranges_and_names_are_the_original_lines(reads, tmp_path):
    data, archive = reads
    lines = data.split(b"\n")
    record = lambda i: b"\n".join(lines[4 * (i - 1) : 4 * i]) + b"\n"  # noqa: E731
    res = run_cli("extract", "-v", str(archive), "#1-3", "#2999-3003", "#10000", timeout=300)
    assert res.returncode == 0, res.stderr
    expected = b"".join(record(i) for i in [1, 2, 3, *range(2999, 3004), 10000])
    assert res.stdout == expected
    names = tmp_path / "names.txt"
    wanted = [lines[4 * (i - 1)][1:].split()[0] for i in (7, 4321)]
    names.write_bytes(b"\n".join(wanted) + b"\n")
    by_name = run_cli("extract", str(archive), "-n", str(names), timeout=300)
    assert by_name.stdout == record(7) + record(4321)
    listed = run_cli("info", "--records", str(archive), timeout=300).stdout.decode()
    assert "segment 0\treads 1-" in listed


# --- what users get wrong -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (["no-such-record:1-10"], "no record named 'no-such-record'"),
        (["gi|9626243|ref|NC_001416.1|:20-10"], "ends before it begins"),
        ([], "nothing asked"),
    ],
)
def test_bad_regions_are_one_line_errors(tmp_path, args, message):
    archive = tmp_path / "l.fa.dnac"
    archive.write_bytes(_compress(LAMBDA.read_bytes(), segment_size=9000))
    res = run_cli("extract", str(archive), *args, timeout=120)
    err = res.stderr.decode()
    assert res.returncode == 1 and message in err and len(err.strip().splitlines()) == 1, err


def test_an_archive_of_an_older_version_is_refused_with_what_to_do():
    old = sorted(GOLDEN.glob("lambda_virus.fa.v4.L5.dnac"))[0]
    with pytest.raises(DnacompError, match="version-4 archive: it has no index"):
        dnacomp.open_archive(str(old))


def test_a_pipe_is_refused_cleanly(tmp_path):
    archive = tmp_path / "l.fa.dnac"
    archive.write_bytes(_compress(LAMBDA.read_bytes()))
    res = run_cli("extract", "/dev/stdin", "x", stdin=archive.read_bytes(), timeout=120)
    assert res.returncode == 1 and b"Traceback" not in res.stderr, res.stderr


def test_concatenated_archives_extract_from_each(tmp_path):
    a = b">one\n" + b"ACGT" * 50 + b"\n"
    b = b">two\n" + b"TTGCA" * 30 + b"\n"
    path = tmp_path / "ab.dnac"
    path.write_bytes(_compress(a) + _compress(b))
    with dnacomp.open_archive(str(path)) as reader:
        assert reader.fetch("one", 0, 8) == "ACGTACGT" and reader.fetch("two", 145, 150) == "TTGCA"
        assert reader.fai_text() == b"one\t200\t5\t200\t201\ntwo\t150\t211\t150\t151\n"
