"""FASTQ parser: exact round trips, agreement with Biopython and a naive parser, compact fields, errors."""

from __future__ import annotations

import io

import pytest
from Bio import SeqIO
from chunk_round_trip import chunked_round_trip as shared_chunked_round_trip
from hypothesis import given, settings
from hypothesis import strategies as st

from dnacomp.coding.varint import decode_uvarints
from dnacomp.errors import InputFormatError
from dnacomp.formats.chunks import iter_chunks
from dnacomp.formats.fastq import parse_fastq_chunk, unparse_fastq_chunk
from dnacomp.formats.residues import join_residues
from dnacomp.formats.streams import ChunkStreams, FieldReader

# --- helpers ----------------------------------------------------------------------------------------


def chunked_round_trip(data: bytes, chunk_size: int) -> list[ChunkStreams]:
    return shared_chunked_round_trip(data, "fastq", chunk_size)


def reads_from_streams(parsed: list[ChunkStreams], uppercase: bool = False) -> list[tuple[bytes, bytes, bytes]]:
    """(name, sequence, quality) per read, rebuilt from the streams alone."""
    reads = []
    for s in parsed:
        layout = FieldReader(s.fields["layout"], "layout")
        _flags, n, mode, length = (layout.scalar() for _ in range(4))
        lengths = [length] * n if mode == 0 else decode_uvarints(s.fields["readlen"], n).tolist()
        residues = join_residues(
            s.bases, b"" if uppercase else s.fields["case"], s.fields["exceptions"], s.n_symbols
        ).tobytes()
        names = s.fields["names"].split(b"\n") if n else []
        pos = 0
        for name, rl in zip(names, lengths):
            reads.append((name, residues[pos : pos + rl], s.fields["qualities"][pos : pos + rl]))
            pos += rl
        assert pos == len(residues) == len(s.fields["qualities"])
    return reads


def naive_reads(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    while lines and len(lines) % 4 and lines[-1] == b"":
        lines.pop()
    while len(lines) >= 4 and lines[-4:] == [b""] * 4:
        lines = lines[:-4]
    return [(lines[i][1:], lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)]


def parse_whole(data: bytes) -> ChunkStreams:
    streams = parse_fastq_chunk(data, "test", 1, 1)
    assert unparse_fastq_chunk(streams) == data
    return streams


def parse_error(data: bytes, chunk_size: int | None = None) -> InputFormatError:
    """The error raised for ``data``, parsed whole or through iter_chunks."""
    with pytest.raises(InputFormatError) as err:
        if chunk_size is None:
            parse_fastq_chunk(data, "in.fq", 1, 1)
        else:
            for chunk, line, record in iter_chunks(io.BytesIO(data), "fastq", "in.fq", chunk_size):
                parse_fastq_chunk(chunk, "in.fq", line, record)
    return err.value


# --- corpus -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [8 << 20, 64 << 10], ids=["8MiB", "64KiB"])
def test_corpus_file_round_trips_exactly(fastq_corpus_file, corpus_bytes, chunk_size):
    data = corpus_bytes(fastq_corpus_file)
    parsed = chunked_round_trip(data, chunk_size)
    assert sum(s.n_records for s in parsed) == data.count(b"\n") // 4


def test_corpus_file_agrees_with_biopython(fastq_corpus_file, corpus_bytes):
    data = corpus_bytes(fastq_corpus_file)
    ours = reads_from_streams(chunked_round_trip(data, 256 << 10), uppercase=True)
    theirs = list(SeqIO.parse(io.StringIO(data.decode("ascii")), "fastq"))
    assert len(ours) == len(theirs)
    for (name, seq, qual), record in zip(ours, theirs):
        title = name.decode("ascii")
        assert record.description == title
        assert record.id == title.split(None, 1)[0]
        assert seq.decode("ascii") == str(record.seq).upper()
        assert qual == bytes(q + 33 for q in record.letter_annotations["phred_quality"])


def test_corpus_fixed_length_reads_cost_no_length_stream(corpus_dir, corpus_bytes):
    path = corpus_dir / "fastq" / "ERR127302_1_subset.fastq.gz"
    if not path.exists():
        pytest.skip("ERR127302 not in corpus")
    streams = parse_whole(corpus_bytes(path))
    assert streams.n_records == 20_000 and streams.n_symbols == 20_000 * 72
    assert streams.fields["readlen"] == b"" and streams.fields["plus"] == b""
    assert len(streams.fields["layout"]) <= 12


# --- specific shapes ----------------------------------------------------------------------------------


def test_plus_name_repeats_cost_nothing():
    bare = b"".join(b"@r%d x\nACGT\n+\nIIII\n" % i for i in range(100))
    named = b"".join(b"@r%d x\nACGT\n+r%d x\nIIII\n" % (i, i) for i in range(100))
    a, b = parse_whole(bare), parse_whole(named)
    assert a.fields["layout"] != b.fields["layout"]
    assert len(a.fields["layout"]) == len(b.fields["layout"])
    assert b.fields["plus"] == b""


def test_plus_text_differing_from_name_is_stored():
    streams = parse_whole(b"@a\nAC\n+a\nII\n@b\nAC\n+other\nII\n@c\nAC\n+\nII\n")
    assert streams.fields["plus"] == b"other"


def test_variable_read_lengths_are_stored():
    streams = parse_whole(b"@a\nACG\n+\nIII\n@b\n\n+\n\n@c\nA\n+\nI\n")
    assert decode_uvarints(streams.fields["readlen"]).tolist() == [3, 0, 1]


def test_qualities_are_raw_bytes():
    phred64 = b"@a\nACGTN\n+\nhgfB;\n"
    assert parse_whole(phred64).fields["qualities"] == b"hgfB;"


def test_n_only_reads_keep_no_bases():
    streams = parse_whole(b"@a\nNNNN\n+\n####\n@b\nnnnn\n+\n####\n")
    assert streams.bases.size == 0 and streams.n_symbols == 8


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"@a\nACGT\n+\nIIII",
        b"@a\nACGT\n+\nIIII\n\n",
        b"@a\nACGT\n+\nIIII\n\n\n\n\n\n",
        b"@a\r\nACGT\r\n+\r\nIIII\r\n",
        b"@a\r\nACGT\n+a\r\nIIII",
        b"@\n\n+\n\n",
        b"@a\n\n+\n\n\n",
        b"@a b\tc\nAcgTN\n+a b\tc\n!!~~#\n",
        b"@a\nACGT\n+\nIIII\n\r\n\r",
        b"@a\nAC\n+\nII\r",
    ],
)
def test_edge_cases_round_trip_and_agree_with_naive_parse(data):
    assert reads_from_streams([parse_whole(data)]) == naive_reads(data)


# --- generated files -------------------------------------------------------------------------------------

name_text = st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from(["\t", " "]), max_size=14).map(
    lambda s: s.encode("ascii")
)
read_text = st.lists(st.tuples(st.sampled_from(list(b"ACGTACGTacgtNNnRY.")), st.integers(1, 30)), max_size=5).map(
    lambda runs: b"".join(bytes([c]) * n for c, n in runs)
)


@st.composite
def fastq_records(draw) -> list[bytes]:
    name = draw(name_text)
    seq = draw(read_text | st.just(b"") | st.integers(1, 40).map(lambda n: b"N" * n))
    offset = draw(st.sampled_from([33, 64]))
    qual = bytes(
        draw(
            st.lists(
                st.integers(offset - (5 if offset == 64 else 0), min(126, offset + 62)),
                min_size=len(seq),
                max_size=len(seq),
            )
        )
    )
    plus = draw(st.sampled_from([b"", name, b"x" + name]))
    return [b"@" + name, seq, b"+" + plus, qual]


@st.composite
def fastq_files(draw) -> bytes:
    lines = [line for _ in range(draw(st.integers(0, 8))) for line in draw(fastq_records())]
    n_blank = draw(st.integers(0, 3))
    lines += [b""] * n_blank
    mode = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    if mode == "mixed":
        endings = [draw(st.sampled_from([b"\n", b"\r\n"])) for _ in lines]
    else:
        endings = [b"\n" if mode == "lf" else b"\r\n"] * len(lines)
    data = b"".join(line + end for line, end in zip(lines, endings))
    # Dropping the final LF of an empty quality line would drop the line: a truncated record.
    if data and draw(st.booleans()) and (lines[-1] or endings[-1] == b"\r\n" or n_blank):
        data = data[:-1]
    return data


def test_empty_read_without_its_final_quality_line_is_truncated():
    err = parse_error(b"@r\n\n+\n")
    assert "truncated FASTQ record: 3 of 4 lines" in str(err)


@settings(max_examples=200, deadline=None)
@given(fastq_files(), st.integers(1, 80))
def test_generated_files_round_trip_in_chunks_and_keep_their_reads(data, chunk_size):
    whole = parse_whole(data)
    assert reads_from_streams([whole]) == naive_reads(data)
    parsed = chunked_round_trip(data, chunk_size)
    assert reads_from_streams(parsed) == naive_reads(data)
    assert sum(s.n_records for s in parsed) == whole.n_records == len(naive_reads(data))


# --- errors ------------------------------------------------------------------------------------------------

GOOD = b"@r1\nACGT\n+\nIIII\n"


def test_quality_length_mismatch_names_record_and_line():
    err = parse_error(GOOD + b"@r2\nACGT\n+\nIII\n")
    assert (err.record, err.line) == (2, 8)
    assert str(err) == "in.fq (record 2, line 8): quality length 3 differs from sequence length 4"


def test_missing_plus_line():
    err = parse_error(GOOD + b"@r2\nACGT\nIIII\n@r3\nACGT\n+\nIIII\n")
    assert (err.record, err.line) == (2, 7)
    assert "expected a '+' line, found 'IIII'" in str(err)


def test_truncated_record():
    err = parse_error(GOOD + b"@r2\nACGT\n+\n")
    assert (err.record, err.line) == (2, 5)
    assert "truncated FASTQ record: 3 of 4 lines" in str(err)


def test_header_without_at_sign():
    err = parse_error(GOOD + b">r2\nACGT\n+\nIIII\n")
    assert (err.record, err.line) == (2, 5)
    assert "expected '@' at the start of a FASTQ record, found '>r2'" in str(err)


def test_blank_line_between_records():
    err = parse_error(GOOD + b"\n" + GOOD)
    assert err.line == 5 and "blank line before the end of the FASTQ records" in str(err)


def test_nul_byte():
    err = parse_error(GOOD + b"@r2\nAC\x00T\n+\nIIII\n")
    assert err.line == 6 and "NUL byte" in str(err)


def test_control_byte_in_sequence():
    err = parse_error(b"@r1\nAC\tT\n+\nIIII\n")
    assert (err.record, err.line) == (1, 2) and "control byte 0x09 in FASTQ sequence" in str(err)


def test_quality_byte_out_of_range():
    err = parse_error(GOOD + b"@r2\nACGT\n+\nII I\n")
    assert (err.record, err.line) == (2, 8) and "quality byte 0x20" in str(err)


@pytest.mark.parametrize("chunk_size", [1, 17, 64, 1000, 1 << 20])
def test_error_position_does_not_depend_on_chunking(chunk_size):
    good = b"".join(b"@r%d\nACGTAC\n+\nIIIIII\n" % i for i in range(400))
    err = parse_error(good + b"@bad\nACGT\n+\nIII\n" + good, chunk_size)
    assert (err.record, err.line) == (401, 1604)


@pytest.mark.parametrize("chunk_size", [1, 5, 16, 17, 64, 1 << 20])
def test_blank_lines_in_the_middle_are_rejected_whatever_the_chunking(chunk_size):
    good = b"".join(b"@r%d\nAC\n+\nII\n" % i for i in range(20))
    err = parse_error(good + b"\n\n\n\n" + good, chunk_size)
    assert err.line == 81 and "blank line" in str(err)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200)
    | st.lists(st.sampled_from([b"@a", b"+", b"AC", b"II", b"\n", b"\r\n", b"\x00", b"I"]), max_size=40).map(b"".join)
)
def test_arbitrary_bytes_either_round_trip_or_raise_input_format_error(data):
    try:
        streams = parse_fastq_chunk(data, "fuzz", 1, 1)
    except InputFormatError as err:
        assert err.line is not None and err.source == "fuzz"
        return
    assert unparse_fastq_chunk(streams) == data


def test_the_quality_context_comes_from_the_stored_fields():
    """formats.quality_context: what the quality codec is given (codecs never parse layout)."""
    from dnacomp.errors import ArchiveError
    from dnacomp.formats import QUALITY_CONTEXT_FIELDS, quality_context

    data = b"@a\nACNGT\n+\nIIIII\n@b\nAC\n+\nII\n@c\nNNA\n+\n###\n"
    streams = parse_fastq_chunk(data, "t", 1, 1)
    readlen, is_n = quality_context(streams.fields, streams.n_symbols, streams.n_records)
    assert readlen.tolist() == [5, 2, 3]
    assert is_n.tolist() == [c == ord("N") for c in b"ACNGTACNNA"]
    with pytest.raises(ArchiveError, match="add up to 10"):
        quality_context(streams.fields, 11, 3)
    with pytest.raises(ArchiveError, match="declares 3 records"):
        quality_context(streams.fields, 10, 2)
    for name in QUALITY_CONTEXT_FIELDS:
        fields = {k: v for k, v in streams.fields.items() if k != name}
        with pytest.raises(ArchiveError, match="without its layout"):
            quality_context(fields, 10, 3)
