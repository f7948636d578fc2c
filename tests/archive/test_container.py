"""The container framing on its own: every damage to the framing is an ArchiveError."""

import io
import re
import struct
import zlib

import pytest

from dnacomp import archive
from dnacomp.container import (
    MAGIC,
    Block,
    Footer,
    next_member,
    read_block_or_footer,
    read_header,
    write_block,
    write_footer,
    write_header,
)
from dnacomp.errors import ArchiveError


def _archive() -> bytes:
    out = io.BytesIO()
    write_header(out, {"kind": "fasta", "level": 1}, 2)
    block = Block(0, 10, 1234, 8, 1, {"bases": (8, b"\x01\x02"), "headers": (3, b"\x00abc")})
    write_block(out, block)
    write_footer(out, Footer(1, 10, b"\x11" * 32), 2)
    return out.getvalue()


def _read_all(data: bytes):
    f = io.BytesIO(data)
    _, meta = archive.read_header(f)  # with the version policy (archive.py)
    items = [read_block_or_footer(f, 0, len(data) - f.tell())]
    items.append(read_block_or_footer(f, 1, len(data) - f.tell()))
    assert next_member(f) is None  # after the footer: the end, another archive, or garbage
    return meta, items


def test_framing_round_trip():
    meta, (block, footer) = _read_all(_archive())
    assert meta == {"kind": "fasta", "level": 1}
    assert block.streams == {"bases": (8, b"\x01\x02"), "headers": (3, b"\x00abc")}
    assert (block.raw_len, block.raw_crc, block.n_symbols, block.n_records) == (10, 1234, 8, 1)
    assert footer == Footer(1, 10, b"\x11" * 32)


def test_every_truncation_is_an_archive_error():
    data = _archive()
    for cut in range(len(data)):
        with pytest.raises(ArchiveError):
            _read_all(data[:cut])


def test_every_single_bit_flip_is_detected():
    data = _archive()
    for pos in range(len(data)):
        for bit in (0, 3, 7):
            damaged = bytearray(data)
            damaged[pos] ^= 1 << bit
            with pytest.raises(ArchiveError):
                _read_all(bytes(damaged))


def test_wrong_version_is_named():
    data = bytearray(_archive())
    struct.pack_into("<H", data, len(MAGIC), 99)
    with pytest.raises(ArchiveError, match="version 99"):
        _read_all(bytes(data))


def test_trailing_garbage_is_rejected():
    with pytest.raises(ArchiveError, match="trailing"):
        _read_all(_archive() + b"x")


def test_fasta_is_written_as_version_5_and_fastq_as_version_7_whatever_their_models():
    """Version 5 (segments and the index) is what every reader now relies on, so every FASTA
    archive is written as version 5, with or without the GRU and the repeat model; FASTQ archives
    are version 7, whose qualities may read the bases and whose names may be shaped (decided per
    block, after the header)."""
    import dnacomp
    from dnacomp.archive import FORMAT_VERSION, NAME_SHAPES_VERSION, SEGMENTED_VERSION

    data = b">x\n" + b"ACGTTGCA" * 100 + b"\n"
    reads = b"@r\nACGT\n+\nIIII\n"
    version = lambda a: struct.unpack("<H", a[len(MAGIC) : len(MAGIC) + 2])[0]  # noqa: E731
    for written in (
        dnacomp.compress_bytes(data, level=1),
        dnacomp.compress_bytes(data, level=1, model="gru"),
        dnacomp.compress_bytes(data, level=5),
    ):
        assert version(written) == SEGMENTED_VERSION == 5
    for level in (1, 5, 9):
        assert version(dnacomp.compress_bytes(reads, level=level)) == NAME_SHAPES_VERSION == FORMAT_VERSION == 7


@pytest.mark.parametrize("version", [2, 3])
def test_repeat_model_parameters_before_version_4_are_refused(version):
    out = io.BytesIO()
    write_header(out, {"kind": "fasta", "level": 5, "base_model": {"rep_count": 12}}, version=version)
    out.seek(0)
    with pytest.raises(ArchiveError, match=f"repeat-model parameters in a version-{version} archive"):
        archive.read_header(out)


def test_gru_parameters_in_a_version_2_header_are_refused():
    out = io.BytesIO()
    write_header(out, {"kind": "fasta", "level": 1, "base_model": {"gru_mode": 3}}, version=2)
    out.seek(0)
    with pytest.raises(ArchiveError, match="GRU parameters in a version-2 archive"):
        archive.read_header(out)


def _header(text: str | bytes, version: int = 2, packed: bytes | None = None) -> io.BytesIO:
    """A header whose metadata is the given JSON text, with a valid CRC."""
    if packed is None:
        raw = text.encode() if isinstance(text, str) else text
        packed = zlib.compress(raw, 9)[2:-4]
    body = struct.pack("<HI", version, len(packed)) + packed
    return io.BytesIO(MAGIC + body + struct.pack("<I", zlib.crc32(body)))


def test_the_header_reader_writes_what_it_reads():
    out = io.BytesIO()
    meta = {"kind": "fastq", "level": 5, "writer": 'dnacomp x \\"[{', "base_model": {"orders": [1, 2]}}
    write_header(out, meta, 2)
    out.seek(0)
    assert read_header(out) == (2, meta)


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"kind": "fasta", "level": Infinity}', "Infinity"),
        ('{"kind": "fasta", "level": -Infinity}', "-Infinity"),
        ('{"kind": "fasta", "writer": NaN}', "NaN"),
        ('{"kind": "fasta", "level": 1e999}', "1e999"),
        ('{"kind": "fasta", "extra": -1e400}', "-1e400"),
        ('{"kind": "fasta", "level": ' + "9" * 5000 + "}", "5000 digits"),
        ('{"kind": "fasta", "level": -' + "9" * 21 + "}", "21 digits"),
        ('{"kind": "fasta", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "too large"),
        ('{"kind": "fasta", "x": ' + "[" * 20_000 + "]" * 20_000 + "}", "deeper than 8"),
        ('{"kind": "fasta", "x": ' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "}", "deeper than 8"),
        ('{"kind": "fasta", "x": ' + "[" * 8 + "]" * 8 + "}", "deeper than 8"),
        ('{"kind": "fasta", "kind": "fastq"}', "repeats the key 'kind'"),
        ('{"kind": "fasta"', "not JSON"),
        ('["kind", "fasta"]', "not an object"),
        (b'{"kind": "fa\xffsta"}', "not UTF-8"),
    ],
    ids=[
        "Infinity",
        "-Infinity",
        "NaN",
        "1e999",
        "-1e400",
        "5000-digit-int",
        "21-digit-int",
        "100k-deep",
        "20k-deep-arrays",
        "10k-deep-objects",
        "9-deep",
        "duplicate-key",
        "unterminated",
        "array",
        "not-utf8",
    ],
)
def test_hostile_metadata_with_a_valid_crc_is_an_archive_error(text, message):
    with pytest.raises(ArchiveError, match=re.escape(message)):
        read_header(_header(text))


def test_metadata_nesting_is_counted_outside_strings_only():
    text = '{"kind": "fasta", "writer": "' + "[{" * 1000 + '\\"]", "x": [[[[[[[1]]]]]]]}'
    assert read_header(_header(text))[1]["x"] == [[[[[[[1]]]]]]]


@pytest.mark.parametrize(
    "packed,message",
    [
        (zlib.compress(b'{"kind": "fasta"}')[2:-4] + b"junk", "stray bytes"),
        (zlib.compress(b'{"kind": "fasta"}')[2:-8], "incomplete"),
        (b"\xff\xff\xff", "not valid deflate"),
    ],
    ids=["trailing-bytes", "cut-short", "not-deflate"],
)
def test_damaged_metadata_deflate_is_an_archive_error(packed, message):
    with pytest.raises(ArchiveError, match=message):
        read_header(_header("", packed=packed))


# --- size limits: the writer refuses exactly what the reader refuses ----------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dnacomp import container  # noqa: E402
from dnacomp.errors import DnacompError  # noqa: E402


def test_one_block_holds_the_fastq_record_of_a_read_of_2_31_bases():
    """Issue 12: any read length up to at least 2^31 must round-trip, and a record is never cut.
    Its chunk is the record (CRLF line endings, a 64 KiB name) plus less than a chunk of short
    records before it and less than one after it."""
    from dnacomp.archive import SEGMENT_SIZE

    record = len(b"@\r\n\r\n+\r\n\r\n") + (64 << 10) + 2 * (1 << 31)
    assert record + 2 * SEGMENT_SIZE <= container.MAX_BLOCK_RAW
    assert container.MAX_STREAM_CODED >= 3 * container.MAX_BLOCK_RAW + 16  # the base coder's worst case


def _framed(block: Block, check: bool = True) -> bytes:
    out = io.BytesIO()
    if check:
        container.write_block(out, block)
    else:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(container, "check_block_limits", lambda b: None)
            container.write_block(out, block)
    return out.getvalue()


def _reads(data: bytes, index: int = 0) -> Block | None:
    """The block read back from its framing, or None if the reader refuses it."""
    try:
        return read_block_or_footer(io.BytesIO(data), index, len(data))
    except ArchiveError:
        return None


@pytest.mark.parametrize(
    "raw_len,stream_raw,ok",
    [
        (container.MAX_BLOCK_RAW, 5, True),
        (container.MAX_BLOCK_RAW + 1, 5, False),
        (container.MAX_BLOCK_RAW, container.MAX_BLOCK_RAW, True),
        (5, container.MAX_BLOCK_RAW + 1, False),
        (1 << 40, 5, False),
    ],
    ids=["block-at-limit", "block-over", "stream-at-limit", "stream-over", "block-far-over"],
)
def test_the_writer_refuses_what_the_reader_refuses_at_the_real_limits(raw_len, stream_raw, ok):
    block = Block(0, raw_len, 7, 3, 1, {"bases": (stream_raw, b"\x01\x02\x03")})
    if ok:
        back = _reads(_framed(block))
        assert back is not None and (back.raw_len, back.streams) == (raw_len, block.streams)
    else:
        out = io.BytesIO()
        with pytest.raises(DnacompError, match="cannot write block 0") as refused:
            container.write_block(out, block)
        assert not isinstance(refused.value, ArchiveError) and out.getvalue() == b""  # nothing written
        assert _reads(_framed(block, check=False)) is None  # the reader would have refused it


def test_the_footer_refuses_a_block_count_beyond_32_bits():
    out = io.BytesIO()
    with pytest.raises(DnacompError, match="blocks"):
        write_footer(out, Footer(1 << 32, 10, b"\x11" * 32), 2)
    assert out.getvalue() == b""


_SMALL = 40  # the limits, scaled down so that blocks at and over them are cheap to build
_NAMES = ["bases", "names", "layout", "case", "x" * 255, "y" * 256, "q\u00e9"]  # the last two unwritable


def _near(limit: int):
    return st.one_of(st.sampled_from([0, limit - 1, limit, limit + 1]), st.integers(0, 2 * limit))


@settings(max_examples=300, deadline=None)
@given(
    raw_len=_near(_SMALL),
    streams=st.lists(st.tuples(st.sampled_from(_NAMES), _near(_SMALL), _near(4 * _SMALL)), max_size=6),
    index=st.sampled_from([0, 1, (1 << 32) - 1, 1 << 32]),
)
def test_with_small_limits_the_writer_accepts_exactly_what_the_reader_accepts(raw_len, streams, index):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(container, "MAX_BLOCK_RAW", _SMALL)
        mp.setattr(container, "MAX_STREAM_CODED", 4 * _SMALL)
        mp.setattr(container, "MAX_STREAMS", 3)
        block = Block(index, raw_len, 99, 1, 1, {name: (raw, b"c" * coded) for name, raw, coded in streams})
        try:
            data = _framed(block)
        except DnacompError:
            written = False
        else:
            written = True
        try:
            unchecked = _framed(block, check=False)
        except (struct.error, UnicodeEncodeError, ValueError):  # not even expressible in the format
            read_back = None
        else:
            read_back = _reads(unchecked, index)
        assert written == (read_back is not None)
        if written:
            assert data == unchecked and read_back.streams == block.streams and read_back.raw_len == raw_len


def _valid_blocks(partial: bytes) -> int:
    """The blocks of an archive cut short after its last complete block: all must read back."""
    f = io.BytesIO(partial)
    read_header(f)
    n = 0
    while f.tell() < len(partial):
        assert isinstance(read_block_or_footer(f, n, len(partial) - f.tell()), Block)
        n += 1
    return n


@settings(max_examples=60, deadline=None)
@given(
    reads=st.lists(
        st.tuples(st.integers(0, 160), st.sampled_from([b"ACGT", b"N", b"NR", b"acgtN"])), min_size=1, max_size=12
    ),
    early=st.booleans(),
)
def test_with_small_limits_compress_refuses_cleanly_or_round_trips(reads, early):
    """Whatever the input, compression either writes an archive that decompresses to it, or
    stops with a DnacompError (not an ArchiveError, not a traceback) having written nothing but
    blocks that read back. ``early``: the chunk is refused before coding (compress_stream's own
    check); else only write_block's check is scaled down and refuses it."""
    from dnacomp import archive

    data = b"".join(b"@r%d\n%s\n+\n%s\n" % (i, (pat * n)[:n], (b"I#" * n)[:n]) for i, (n, pat) in enumerate(reads))
    out = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(container, "MAX_BLOCK_RAW", 300)
        mp.setattr(container, "MAX_STREAM_CODED", 1200)
        if early:
            mp.setattr(archive, "MAX_BLOCK_RAW", 300)
        try:
            archive.compress_stream(io.BytesIO(data), out, level=1, segment_size=64)
        except DnacompError as exc:
            assert not isinstance(exc, ArchiveError)
            assert "cannot write block" in str(exc) or (early and "cannot be cut" in str(exc))
            _valid_blocks(out.getvalue())
            return
        restored = io.BytesIO()
        archive.decompress_stream(io.BytesIO(out.getvalue()), restored)
    assert restored.getvalue() == data


@pytest.mark.parametrize(
    "read,early,message",
    [
        (
            b"ACGT" * 40,
            True,
            "(line 5): 328 bytes of input that cannot be cut (one line or FASTQ record), over the 300 bytes an",
        ),
        (b"ACGT" * 40, False, "cannot write block 1: it holds 328 bytes of input, over the 300 bytes an archive block"),
        (b"NR" * 60, True, "cannot write block 1: its stream 'exceptions' holds 361 bytes"),
    ],
    ids=["record-too-long", "record-too-long-writer-only", "stream-too-long"],
)
def test_with_small_limits_the_refusal_comes_before_the_block(read, early, message):
    from dnacomp import archive

    data = b"@r0\nACGT\n+\nIIII\n" + b"@r1\n%s\n+\n%s\n" % (read, b"I" * len(read))
    out = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(container, "MAX_BLOCK_RAW", 300)
        if early:
            mp.setattr(archive, "MAX_BLOCK_RAW", 300)
        with pytest.raises(DnacompError, match=re.escape(message)):
            archive.compress_stream(io.BytesIO(data), out, level=1, segment_size=16)
        assert _valid_blocks(out.getvalue()) == 1  # the first record's block, nothing after it
