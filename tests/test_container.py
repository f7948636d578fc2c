"""The container framing on its own: every damage to the framing is an ArchiveError."""
import io
import struct

import pytest

from dnacomp.container import (MAGIC, Block, Footer, read_block_or_footer, read_header, write_block,
                               write_footer, write_header)
from dnacomp.errors import ArchiveError


def _archive() -> bytes:
    out = io.BytesIO()
    write_header(out, {"kind": "fasta", "level": 1})
    block = Block(0, 10, 1234, 8, 1, {"bases": (8, b"\x01\x02"), "headers": (3, b"\x00abc")})
    write_block(out, block)
    write_footer(out, Footer(1, 10, b"\x11" * 32))
    return out.getvalue()


def _read_all(data: bytes):
    f = io.BytesIO(data)
    meta = read_header(f)
    items = [read_block_or_footer(f, 0, len(data) - f.tell())]
    items.append(read_block_or_footer(f, 1, len(data) - f.tell()))
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


def test_gru_archives_are_version_3_and_others_stay_version_2():
    import dnacomp
    from dnacomp.container import CM_VERSION, FORMAT_VERSION
    data = b">x\n" + b"ACGTTGCA" * 100 + b"\n"
    version = lambda a: struct.unpack("<H", a[len(MAGIC):len(MAGIC) + 2])[0]  # noqa: E731
    assert version(dnacomp.compress_bytes(data, level=1)) == CM_VERSION == 2
    assert version(dnacomp.compress_bytes(data, level=1, model="gru")) == FORMAT_VERSION == 3


def test_gru_parameters_in_a_version_2_header_are_refused():
    out = io.BytesIO()
    write_header(out, {"kind": "fasta", "level": 1, "base_model": {"gru_mode": 3}}, version=2)
    out.seek(0)
    with pytest.raises(ArchiveError, match="GRU parameters in a version-2 archive"):
        read_header(out)
