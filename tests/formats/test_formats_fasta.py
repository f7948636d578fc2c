"""FASTA parser: exact round trips, agreement with Biopython and a naive parser, compact layout, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from Bio import SeqIO
from chunk_round_trip import chunked_round_trip as shared_chunked_round_trip
from hypothesis import given, settings
from hypothesis import strategies as st

from dnacomp.coding.varint import decode_uvarints
from dnacomp.errors import InputFormatError
from dnacomp.formats.chunks import iter_chunks
from dnacomp.formats.fasta import parse_fasta_chunk, unparse_fasta_chunk
from dnacomp.formats.residues import join_residues
from dnacomp.formats.streams import ChunkStreams, FieldReader

# --- helpers ----------------------------------------------------------------------------------------


def chunked_round_trip(data: bytes, chunk_size: int) -> list[ChunkStreams]:
    return shared_chunked_round_trip(data, "fasta", chunk_size)


def records_from_streams(parsed: list[ChunkStreams], uppercase: bool = False) -> list[tuple[bytes | None, bytes]]:
    """(header or None for headerless, residues) per record, rebuilt from the streams alone.

    With ``uppercase`` the residues come from bases + exceptions only (the case stream ignored).
    """
    records: list[list] = []
    for s in parsed:
        layout = FieldReader(s.fields["layout"], "layout")
        flags, n_records = layout.scalar(), layout.scalar()
        lengths = decode_uvarints(s.fields["seqlen"], n_records).tolist()
        residues = join_residues(
            s.bases, b"" if uppercase else s.fields["case"], s.fields["exceptions"], s.n_symbols
        ).tobytes()
        headers = iter(s.fields["headers"].split(b"\n"))
        pos = 0
        for i, length in enumerate(lengths):
            seq = residues[pos : pos + length]
            pos += length
            if i == 0 and flags & 1:  # prefix: continues the previous record
                if records:
                    records[-1][1] += seq
                else:
                    records.append([None, bytearray(seq)])
            else:
                records.append([next(headers), bytearray(seq)])
        assert pos == len(residues)
    return [(h, bytes(seq)) for h, seq in records]


def naive_records(data: bytes) -> list[tuple[bytes | None, bytes]]:
    """The obvious line-by-line reading of FASTA, as an independent oracle."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    records: list[list] = []
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.startswith(b">"):
            records.append([line[1:], b""])
        elif records:
            records[-1][1] += line
        else:
            records.append([None, line])
    return [(h, s) for h, s in records]


def parse_whole(data: bytes) -> ChunkStreams:
    streams = parse_fasta_chunk(data, "test", 1, 1)
    assert unparse_fasta_chunk(streams) == data
    return streams


def layout_cost(streams: ChunkStreams) -> int:
    return sum(len(streams.fields[k]) for k in ("layout", "seqlen", "linelen"))


# --- corpus -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [8 << 20, 64 << 10], ids=["8MiB", "64KiB"])
def test_corpus_file_round_trips_exactly(fasta_corpus_file, corpus_bytes, chunk_size):
    data = corpus_bytes(fasta_corpus_file)
    parsed = chunked_round_trip(data, chunk_size)
    assert sum(s.n_records for s in parsed) == data.count(b"\n>") + data.startswith(b">")


def test_corpus_file_agrees_with_biopython(fasta_corpus_file, corpus_bytes):
    data = corpus_bytes(fasta_corpus_file)
    ours = records_from_streams(chunked_round_trip(data, 1 << 20), uppercase=True)
    theirs = list(SeqIO.parse(io.StringIO(data.decode("ascii")), "fasta"))
    assert len(ours) == len(theirs)
    for (header, seq), record in zip(ours, theirs):
        title = header.decode("ascii")
        assert record.description == title.rstrip()
        assert record.id == title.split(None, 1)[0]
        assert seq.decode("ascii") == str(record.seq).upper()


def test_corpus_genome_layout_costs_a_few_bytes(corpus_dir, corpus_bytes):
    path = corpus_dir / "fasta" / "ecoli_536.fna.gz"
    if not path.exists():
        pytest.skip("ecoli_536 not in corpus")
    streams = parse_whole(corpus_bytes(path))
    assert layout_cost(streams) <= 16
    assert streams.fields["case"] == b"" and streams.fields["exceptions"] == b""
    assert streams.n_symbols == 4_938_920 == streams.bases.size


# --- specific shapes ----------------------------------------------------------------------------------


def genome(n: int, width: int, seed: int = 0) -> bytes:
    seq = np.random.default_rng(seed).choice(np.frombuffer(b"ACGT", np.uint8), n).tobytes()
    return b"\n".join(seq[i : i + width] for i in range(0, n, width))


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_70_column_genome_layout_is_tiny_with_either_line_ending(eol):
    data = (b">chr1 test\n" + genome(1_000_003, 70) + b"\n").replace(b"\n", eol)
    streams = parse_whole(data)
    assert layout_cost(streams) <= 16
    assert streams.bases.size == 1_000_003


def test_one_crlf_line_in_a_lf_file_costs_a_couple_of_bytes():
    data = b">x\n" + genome(70_000, 70) + b"\n"
    lf = layout_cost(parse_whole(data))
    mixed = layout_cost(parse_whole(data.replace(b"\n", b"\r\n", 1)))
    assert lf < mixed <= lf + 4


def test_many_records_share_the_default_width():
    data = b"".join(b">r%d\n" % i + genome(1000 + i, 60, i) + b"\n" for i in range(200))
    streams = parse_whole(data)
    assert streams.n_records == 200
    assert streams.fields["linelen"] == b""
    layout = FieldReader(streams.fields["layout"], "layout")
    assert [layout.scalar() for _ in range(3)] == [0, 200, 60]  # flags, records, width
    assert len(streams.fields["layout"]) <= 12  # no exceptions of any kind


def test_ragged_record_stores_its_line_lengths():
    streams = parse_whole(b">a\nACGT\nAC\nACG\n>b\nACGT\nAC\n")
    assert decode_uvarints(streams.fields["linelen"]).tolist() == [4, 2, 3]


def test_blank_lines_between_records_and_at_the_end():
    data = b">a\nACGT\nAC\n\n>b\nAAA\n\n\n"
    assert naive_records(data) == records_from_streams([parse_whole(data)])
    assert parse_whole(data).fields["linelen"] == b""  # trailing blanks do not make records irregular


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n",
        b"\n\n\r\n",
        b">",
        b">\n",
        b">a",
        b">a\n>b\n>c\n",
        b"ACGT",
        b"ACGT\nAC\n>h\nAC",
        b">h\r\nACGT\r\nAC",
        b">h\nAC\r",
        b">h\nAC\n\r",
        b">h\n\nAC\n",
        b">h\nacgtNNNNnnnnRYKM*-.\n",
        b">h\r\n\r\n",
        b">\xff\xfe header with bytes\x01\t\r\nAC\n",
        b">a\n \n",
        b">a\nA\nACGT\n",
    ],
)
def test_edge_cases_round_trip_and_agree_with_naive_parse(data):
    streams = parse_whole(data)
    assert records_from_streams([streams]) == naive_records(data)
    assert streams.n_records == sum(1 for h, _ in naive_records(data) if h is not None)


def test_n_symbols_counts_every_sequence_byte():
    streams = parse_whole(b">h\nACNN-\r\nac\n")
    assert streams.n_symbols == 7 and streams.bases.size == 4


# --- generated files -------------------------------------------------------------------------------------

RESIDUES = list(b"ACGTACGTacgtNnRYKMSWBDHVrykmswbdhvU*-.X \xff")
residue_text = st.lists(st.tuples(st.sampled_from(RESIDUES), st.integers(1, 25)), max_size=12).map(
    lambda runs: b"".join(bytes([c]) * n for c, n in runs)
)
header_text = st.binary(max_size=16).map(lambda b: b.replace(b"\n", b"").replace(b"\x00", b""))


@st.composite
def sequence_lines(draw) -> list[bytes]:
    seq = draw(residue_text)
    shape = draw(st.sampled_from(["regular", "ragged", "one line"]))
    if shape == "one line":
        lines = [seq] if seq else []
    elif shape == "regular":
        width = draw(st.integers(1, 12))
        lines = [seq[i : i + width] for i in range(0, len(seq), width)]
    else:
        cuts = sorted(draw(st.lists(st.integers(0, len(seq)), max_size=6)))
        bounds = [0] + cuts + [len(seq)]
        lines = [seq[a:b] for a, b in zip(bounds, bounds[1:])]
    return lines + [b""] * draw(st.integers(0, 2))


@st.composite
def fasta_files(draw) -> bytes:
    lines: list[bytes] = []
    if draw(st.booleans()):
        lines += draw(sequence_lines())  # headerless start
    for _ in range(draw(st.integers(0, 5))):
        lines.append(b">" + draw(header_text))
        lines += draw(sequence_lines())
    mode = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    if mode == "mixed":
        endings = [draw(st.sampled_from([b"\n", b"\r\n"])) for _ in lines]
    else:
        endings = [b"\n" if mode == "lf" else b"\r\n"] * len(lines)
    data = b"".join(line + end for line, end in zip(lines, endings))
    if data and draw(st.booleans()):
        data = data[:-1]  # no final newline (may leave a lone CR: also valid)
    return data


@settings(max_examples=150, deadline=None)
@given(fasta_files(), st.integers(1, 64))
def test_generated_files_round_trip_in_chunks_and_keep_their_records(data, chunk_size):
    whole = parse_whole(data)
    assert records_from_streams([whole]) == naive_records(data)
    parsed = chunked_round_trip(data, chunk_size)
    assert records_from_streams(parsed) == naive_records(data)
    assert sum(s.n_symbols for s in parsed) == whole.n_symbols
    assert np.array_equal(np.concatenate([whole.bases[:0]] + [s.bases for s in parsed]), whole.bases)


# --- errors ------------------------------------------------------------------------------------------------


def test_nul_byte_in_sequence_names_line_and_record():
    with pytest.raises(InputFormatError) as err:
        parse_fasta_chunk(b">a\nACGT\n>b\nAC\nA\x00GT\n", "in.fa", 1, 1)
    assert err.value.line == 5 and err.value.record == 2
    assert str(err.value) == "in.fa (record 2, line 5): NUL byte in FASTA sequence line"


def test_control_byte_in_sequence_is_rejected():
    with pytest.raises(InputFormatError, match=r"line 2\): control byte 0x01 in FASTA sequence line"):
        parse_fasta_chunk(b">a\nAC\x01GT\n", "in.fa", 1, 1)


def test_cr_inside_a_sequence_line_is_rejected():
    with pytest.raises(InputFormatError, match="control byte 0x0D"):
        parse_fasta_chunk(b">a\nAC\rGT\n", "in.fa", 1, 1)


def test_nul_byte_in_header_is_rejected():
    with pytest.raises(InputFormatError, match=r"line 1\): NUL byte in FASTA header"):
        parse_fasta_chunk(b">a\x00b\nACGT\n", "in.fa", 1, 1)


def test_headerless_error_has_no_record_number():
    with pytest.raises(InputFormatError) as err:
        parse_fasta_chunk(b"ACGT\nA\tC\n", "in.fa", 1, 1)
    assert err.value.record is None and err.value.line == 2
    assert str(err.value) == "in.fa (line 2): control byte 0x09 in FASTA sequence line"


def test_the_earliest_problem_is_reported():
    with pytest.raises(InputFormatError) as err:
        parse_fasta_chunk(b">a\nAC\n>b\x00\nA\x01\n", "in.fa", 1, 1)
    assert err.value.line == 3 and "NUL" in str(err.value)


@pytest.mark.parametrize("chunk_size", [7, 100, 1 << 20])
def test_error_line_and_record_are_global_across_chunks(chunk_size):
    records = [b">r%d\n" % i + b"ACGTACGTAC\nACG\n" for i in range(300)]
    records[250] = b">r250\nACGTACGTAC\nAC\x02\n"
    data = b"".join(records)
    with pytest.raises(InputFormatError) as err:
        for chunk, line, record in iter_chunks(io.BytesIO(data), "fasta", "in.fa", chunk_size):
            parse_fasta_chunk(chunk, "in.fa", line, record)
    assert (err.value.line, err.value.record) == (3 * 250 + 3, 251)
    assert "control byte 0x02" in str(err.value)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.lists(st.sampled_from([b">", b"A", b"\n", b"\r", b"\x00", b"n", b"\t", b" "]), max_size=60).map(b"".join)
)
def test_arbitrary_bytes_either_round_trip_or_raise_input_format_error(data):
    try:
        streams = parse_fasta_chunk(data, "fuzz", 1, 1)
    except InputFormatError as err:
        assert err.line is not None and err.source == "fuzz"
        return
    assert unparse_fasta_chunk(streams) == data
