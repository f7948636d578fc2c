"""The .dnac container: framing, parameters and checksums; no modelling.

Byte format (all integers little-endian):

  header   magic      9 bytes  b"\\x89DNAC\\r\\n\\x1a\\n"  (catches text-mode and 7-bit damage)
           version    u16      the format version: which ones are written and read, and what
                               each means for decoding, is archive.py's policy (this module
                               only frames the bytes)
           meta_len   u32
           meta       meta_len bytes: raw-deflated UTF-8 JSON with kind ("fasta"|"fastq"), level,
                      base model parameters, writer version: everything the decoder must match
           crc        u32      CRC-32 of version, meta_len and meta
  block*   tag        4 bytes  b"BLK\\0"
           index      u32      0, 1, 2, ... (a shuffled or dropped block is detected)
           raw_crc    u32      CRC-32 of the original bytes (checked before they are written)
           raw_len    uvarint  bytes of the original input in this block
           n_symbols  uvarint  sequence symbols in the block (for bits/base reports)
           n_records  uvarint
           n_streams  uvarint
           stream*    name_len u8, name (ASCII), raw_len uvarint, coded_len uvarint
           hdr_crc    u32      CRC-32 of the block header from tag to here
  (uvarint: 7 bits per byte, least significant first, high bit set on all but the last byte,
   at most 10 bytes)
           payloads   the coded streams, in table order
           data_crc   u32      CRC-32 of the payloads
  index    (version 5 and later only: ``docs/format.md``; its contents are ``index.py``'s)
           tag        4 bytes  b"IDX\\0"
           length     u64      bytes of the deflated index that follow
           index      length bytes
           crc        u32      CRC-32 of the index section from tag to here
  footer   tag        4 bytes  b"END\\0"
           n_blocks   u32
           total_len  u64      bytes of the original input
           sha256     32 bytes of the original input
           (version 5 and later:)
           index_len  u64      bytes of the index section (tag to crc)
           member_len u64      bytes of this archive, magic to the footer's crc: a reader at the
                               end of the file finds where the archive (and the one before it,
                               when archives are concatenated) starts
           crc        u32      CRC-32 of the footer from tag to here

Every length is checked against hard limits and the bytes actually present before anything is
allocated, so a damaged archive yields an ArchiveError, never a huge allocation or a hang. The
writer refuses, with a DnacompError and before writing it, any block that the reader would refuse
for its sizes (``check_block_limits``), so that no archive it writes fails to read back. The
metadata is parsed strictly (``parse_meta``: bounded size, nesting and integers, no NaN or
Infinity), and every field is checked by type and range before use (``archive.check_meta``), so
that even metadata with a valid CRC cannot end in anything but an ArchiveError.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from .errors import ArchiveError, DnacompError
from .fileio import PrefixedReader

MAGIC = b"\x89DNAC\r\n\x1a\n"
BLOCK_TAG = b"BLK\0"
END_TAG = b"END\0"
INDEX_TAG = b"IDX\0"
#: the first format version with an index section and the longer footer
INDEXED_VERSION = 5
#: bytes of the footer, by whether the version is indexed
FOOTER_SIZE = 52
INDEXED_FOOTER_SIZE = 68
#: the deflated index may not be longer than this (about 40 bytes a record: 100 M records)
MAX_INDEX = 1 << 32
MAX_META = 1 << 20
#: the metadata as JSON text (a real header's is under 1 KiB), the nesting of its objects and
#: arrays (a real header's is 3) and the digits of any integer in it (2**64 has 20): bounds checked
#: before or while parsing, so that hostile metadata cannot make the parser recurse or convert
#: an integer of thousands of digits
MAX_META_JSON = 1 << 16
MAX_META_DEPTH = 8
MAX_META_INT_DIGITS = 20
#: no block may claim more original bytes than this, nor any of its streams more raw bytes, nor
#: more than MAX_STREAM_CODED coded bytes (the base coder may spend up to 3 bytes on a base).
#: A line or FASTQ record is never cut, so one block holds at least a whole record: 16 GiB leave
#: room for a read of 2^31 bases (its sequence and quality lines are 2^32 bytes) and its name.
#: ``write_block`` refuses what ``read_block_or_footer`` would: the writer never writes a block
#: its reader refuses. (The bound was 2^31 bytes before, checked by the reader only: every block
#: written then is within this one, and the format itself is unchanged, so old archives read as
#: before.)
MAX_BLOCK_RAW = 1 << 34
MAX_STREAM_CODED = 4 * MAX_BLOCK_RAW
MAX_STREAMS = 64
MAX_STREAM_NAME = 255  # a u8 length
MAX_U32 = (1 << 32) - 1  # block index, CRCs and the footer's block count


@dataclass
class Block:
    index: int
    raw_len: int
    raw_crc: int
    n_symbols: int
    n_records: int
    streams: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # name -> (raw_len, coded)
    size: int = field(default=0, compare=False)  # bytes it takes in the archive, tag to data_crc (set when read)


@dataclass
class Footer:
    n_blocks: int
    total_len: int
    sha256: bytes
    index_len: int = 0  # version 5 and later
    member_len: int = 0  # version 5 and later


@dataclass
class IndexSection:
    """The index section's payload as read (deflated; ``index.py`` parses it)."""

    packed: bytes
    size: int  # bytes of the whole section, tag to crc


def write_header(out: BinaryIO, meta: dict, version: int) -> None:
    """Magic, ``version`` (the caller's choice: archive.py) and ``meta``, deflated, with a CRC."""
    packed = zlib.compress(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode(), 9)[2:-4]
    body = struct.pack("<HI", version, len(packed)) + packed
    out.write(MAGIC + body + struct.pack("<I", zlib.crc32(body)))


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def describe_size(n: int) -> str:
    """``n`` bytes, in GiB too when that is a whole number of them (for the limits' messages)."""
    return f"{n} bytes" + (f" ({n >> 30} GiB)" if n >= 1 << 30 and not n % (1 << 30) else "")


def check_block_limits(block: Block) -> None:
    """Refuses (DnacompError, before anything is written) a block that ``read_block_or_footer``
    would refuse for its sizes: more than MAX_BLOCK_RAW original bytes, a stream of more than
    MAX_BLOCK_RAW raw or MAX_STREAM_CODED coded bytes, more than MAX_STREAMS streams, a stream
    name that is not ASCII or longer than MAX_STREAM_NAME bytes, or an index beyond a u32."""

    def refuse(what: str) -> DnacompError:
        return DnacompError(f"cannot write block {block.index}: {what}")

    if block.raw_len > MAX_BLOCK_RAW:
        raise refuse(
            f"it holds {block.raw_len} bytes of input, over the {describe_size(MAX_BLOCK_RAW)} "
            f"an archive block may hold"
        )
    if not 0 <= block.index <= MAX_U32 or not 0 <= block.raw_crc <= MAX_U32:
        raise refuse("its index or checksum does not fit in 32 bits")
    if len(block.streams) > MAX_STREAMS:
        raise refuse(f"{len(block.streams)} streams, over {MAX_STREAMS}")
    for name, (raw_len, coded) in block.streams.items():
        if not name.isascii() or len(name) > MAX_STREAM_NAME:
            raise refuse(f"bad stream name {name[:40]!r}")
        if raw_len > MAX_BLOCK_RAW or len(coded) > MAX_STREAM_CODED:
            raise refuse(
                f"its stream {name!r} holds {raw_len} bytes, {len(coded)} coded, over the "
                f"{describe_size(MAX_BLOCK_RAW)}, {describe_size(MAX_STREAM_CODED)} coded, "
                f"a stream may hold"
            )


def write_block(out: BinaryIO, block: Block) -> int:
    """Writes one block; returns the bytes written. A block its reader would refuse for its
    sizes is refused before anything is written (``check_block_limits``)."""
    check_block_limits(block)
    head = bytearray(BLOCK_TAG)
    head += struct.pack("<II", block.index, block.raw_crc)
    for value in (block.raw_len, block.n_symbols, block.n_records, len(block.streams)):
        head += _uvarint(value)
    for name, (raw_len, coded) in block.streams.items():
        nb = name.encode("ascii")
        head += struct.pack("<B", len(nb)) + nb + _uvarint(raw_len) + _uvarint(len(coded))
    head += struct.pack("<I", zlib.crc32(head))
    out.write(head)
    crc = 0
    for _, coded in block.streams.values():
        out.write(coded)
        crc = zlib.crc32(coded, crc)
    out.write(struct.pack("<I", crc))
    return len(head) + sum(len(c) for _, c in block.streams.values()) + 4


def write_index(out: BinaryIO, packed: bytes) -> int:
    """Writes the index section around ``packed`` (the deflated index); returns its size."""
    if len(packed) > MAX_INDEX:
        raise DnacompError(f"cannot write the archive index: {len(packed)} bytes, over {describe_size(MAX_INDEX)}")
    body = INDEX_TAG + struct.pack("<Q", len(packed)) + packed
    out.write(body + struct.pack("<I", zlib.crc32(body)))
    return len(body) + 4


def write_footer(out: BinaryIO, footer: Footer, version: int) -> None:
    """The footer of ``version``: version 5 and later also record the index's and the whole
    archive's sizes."""
    if not 0 <= footer.n_blocks <= MAX_U32:
        raise DnacompError(f"cannot write the archive footer: {footer.n_blocks} blocks, over {MAX_U32}")
    body = END_TAG + struct.pack("<IQ", footer.n_blocks, footer.total_len) + footer.sha256
    if version >= INDEXED_VERSION:
        body += struct.pack("<QQ", footer.index_len, footer.member_len)
    out.write(body + struct.pack("<I", zlib.crc32(body)))


def parse_footer(data: bytes, version: int) -> Footer:
    """A footer's bytes (tag included) of an archive of ``version``, its CRC checked."""
    body, (crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if body[:4] != END_TAG:
        raise ArchiveError("corrupt footer (bad tag)")
    if zlib.crc32(body) != crc:
        raise ArchiveError("corrupt footer (checksum mismatch)")
    n_blocks, total_len = struct.unpack("<IQ", body[4:16])
    footer = Footer(n_blocks, total_len, body[16:48])
    if version >= INDEXED_VERSION:
        footer.index_len, footer.member_len = struct.unpack("<QQ", body[48:64])
    return footer


def footer_size(version: int) -> int:
    return INDEXED_FOOTER_SIZE if version >= INDEXED_VERSION else FOOTER_SIZE


def read_index_section(f: BinaryIO, remaining: int | None, *, tag_read: bool = False) -> IndexSection:
    """The index section at ``f`` (after its tag when ``tag_read``), its CRC checked;
    ``remaining`` counts the archive bytes from the section's tag on, when known."""
    tag = INDEX_TAG if tag_read else _read_exact(f, 4, "index")
    if tag != INDEX_TAG:
        raise ArchiveError("corrupt index (bad tag)")
    fixed = _read_exact(f, 8, "index")
    (length,) = struct.unpack("<Q", fixed)
    if length > MAX_INDEX or (remaining is not None and length + 16 > remaining):
        raise ArchiveError(f"corrupt index (declares {length} bytes)")
    packed = _read_exact(f, length, "index")
    (crc,) = struct.unpack("<I", _read_exact(f, 4, "index"))
    if zlib.crc32(packed, zlib.crc32(tag + fixed)) != crc:
        raise ArchiveError("corrupt index (checksum mismatch)")
    return IndexSection(packed, length + 16)


def _read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    """Reads n bytes in bounded pieces, so a false length in a piped archive cannot make us
    allocate more than the bytes that really arrive."""
    if n <= 1 << 20:
        data = f.read(n)
    else:
        parts, got = [], 0
        while got < n:
            part = f.read(min(n - got, 1 << 24))
            if not part:
                break
            parts.append(part)
            got += len(part)
        data = b"".join(parts)
    if len(data) != n:
        raise ArchiveError(f"truncated archive (in {what})")
    return data


def _read_uvarint(f: BinaryIO, record: bytearray, what: str) -> int:
    """Reads one uvarint, appending its bytes to ``record`` (the CRC covers them)."""
    value = 0
    for shift in range(0, 70, 7):
        byte = _read_exact(f, 1, what)
        record += byte
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
    raise ArchiveError(f"corrupt {what} (bad number)")


_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')


def _too_deep(text: str, limit: int) -> bool:
    """Whether JSON text nests objects and arrays deeper than ``limit`` (brackets inside strings
    do not count). One pass over the brackets, quotes and backslashes, without recursion."""
    depth, in_string, escaped = 0, False, -1
    for m in _JSON_SPECIAL.finditer(text):
        c, i = m.group(), m.start()
        if in_string:
            if i == escaped:  # the character after a backslash
                continue
            if c == "\\":
                escaped = i + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth -= 1
    return False


def _meta_error(what: str) -> ArchiveError:
    return ArchiveError(f"corrupt header (metadata {what})")


def _reject_constant(name: str):
    raise _meta_error(f"holds {name}, which is not a number")


def _bounded_int(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > MAX_META_INT_DIGITS:
        raise _meta_error(f"holds an integer of {digits} digits")
    return int(literal)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _meta_error(f"holds the number {literal[:24]}, which is out of range")
    return value


def _unique_keys(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _meta_error(f"repeats the key {key[:40]!r}")
        out[key] = value
    return out


def parse_meta(packed: bytes) -> dict:
    """The header's metadata: raw deflate of UTF-8 JSON, parsed strictly.

    Refused with an ArchiveError, before anything uses the values: a deflate stream that is damaged,
    incomplete, followed by other bytes or inflating beyond MAX_META_JSON; text that is not UTF-8
    or not JSON; nesting deeper than MAX_META_DEPTH (checked before parsing, so the parser cannot
    overflow the stack); NaN, Infinity or a number that overflows a float; an integer of more than
    MAX_META_INT_DIGITS digits; a key repeated in an object; a top level that is not an object.
    What each field must be is checked by the reader of the fields (``archive.check_meta``).
    """
    inflater = zlib.decompressobj(-15)
    try:
        raw = inflater.decompress(packed, MAX_META_JSON + 1)
    except zlib.error as exc:
        raise _meta_error(f"is not valid deflate data ({exc})") from None
    if len(raw) > MAX_META_JSON:
        raise _meta_error(f"is too large (over {MAX_META_JSON} bytes)")
    if not inflater.eof:
        raise _meta_error("is incomplete (the deflate stream does not end)")
    if inflater.unused_data:
        raise _meta_error("is followed by stray bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _meta_error(f"is not UTF-8 (byte {exc.start})") from None
    if _too_deep(text, MAX_META_DEPTH):
        raise _meta_error(f"nests deeper than {MAX_META_DEPTH} levels")
    try:
        meta = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise _meta_error(f"is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(meta, dict):
        raise _meta_error("is not an object")
    return meta


def read_version(f: BinaryIO) -> int:
    """The magic and the format version: the start of every archive. Whether this version can be
    read is for the caller to say (``archive.read_header``), before the rest is read, since
    another version may frame its header differently."""
    magic = f.read(len(MAGIC))
    if magic != MAGIC:
        raise ArchiveError("not a dnacomp archive (bad magic)")
    (version,) = struct.unpack("<H", _read_exact(f, 2, "header"))
    return version


def read_meta(f: BinaryIO, version: int) -> dict:
    """The rest of the header after ``read_version``: the metadata, its length and CRC checked
    (the CRC covers the version too), parsed strictly (``parse_meta``)."""
    return read_meta_sized(f, version)[0]


def header_size(meta_len: int) -> int:
    """Bytes of a header whose deflated metadata is ``meta_len`` bytes: magic, version,
    meta_len, meta, crc."""
    return len(MAGIC) + 2 + 4 + meta_len + 4


def read_meta_sized(f: BinaryIO, version: int) -> tuple[dict, int]:
    """``read_meta``, and the bytes of the whole header (where the first block starts)."""
    fixed = struct.pack("<H", version) + _read_exact(f, 4, "header")
    (meta_len,) = struct.unpack("<I", fixed[2:])
    if meta_len > MAX_META:
        raise ArchiveError("corrupt header (metadata too large)")
    meta_bytes = _read_exact(f, meta_len, "header")
    (crc,) = struct.unpack("<I", _read_exact(f, 4, "header"))
    if zlib.crc32(fixed + meta_bytes) != crc:
        raise ArchiveError("corrupt header (checksum mismatch)")
    return parse_meta(meta_bytes), header_size(meta_len)


def read_header(f: BinaryIO) -> tuple[int, dict]:
    """(version, metadata) of the header, whatever the version (framing only: for tools and tests
    that walk an archive's structure; decoding goes through ``archive.read_header``)."""
    version = read_version(f)
    return version, read_meta(f, version)


def next_member(f: BinaryIO) -> BinaryIO | None:
    """After a footer: None at the end of the file, or a reader of the next archive when another
    one follows (``dnacomp compress -c a.fa b.fa > ab.dnac`` concatenates archives, as gzip
    members are); any other byte is trailing garbage."""
    more = f.read(len(MAGIC))
    if not more:
        return None
    if more != MAGIC:
        raise ArchiveError("trailing data after the end of the archive")
    return io.BufferedReader(PrefixedReader(more, f), 1 << 16)


def read_block_streams(f: BinaryIO, expected_index: int, wanted: set[str]) -> Block:
    """The block at ``f`` (a seekable file) with only the ``wanted`` streams' payloads read, the
    others skipped (their ``coded`` is empty). Its header CRC is checked; the payload CRC covers
    every stream, so it cannot be: the caller checks what it read otherwise (the index holds
    the CRC of each block's header stream)."""
    block, table, _ = _read_block_head(f, expected_index, _read_exact(f, 4, f"block {expected_index}"))
    for name, s_raw, s_coded in table:
        _check_stream(block.index, s_raw, s_coded)
        key = _stream_name(block.index, name)
        if key in wanted:
            block.streams[key] = (s_raw, _read_exact(f, s_coded, f"block {block.index} payload"))
        else:
            f.seek(s_coded, 1)
    return block


def _read_block_head(f: BinaryIO, expected_index: int, tag: bytes) -> tuple[Block, list[tuple[bytes, int, int]], int]:
    """A block's header, its tag already read: checked (tag, stream count, CRC, order, size),
    returned as (block without streams, its stream table, the header's length)."""
    if tag != BLOCK_TAG:
        raise ArchiveError(f"corrupt archive (block {expected_index} has a bad tag)")
    where = f"block {expected_index} header"
    fixed = _read_exact(f, 8, where)
    index, raw_crc = struct.unpack("<II", fixed)
    head = bytearray(tag + fixed)
    raw_len, n_symbols, n_records, n_streams = (_read_uvarint(f, head, where) for _ in range(4))
    if n_streams > MAX_STREAMS:
        raise ArchiveError(f"corrupt {where} (stream count)")
    table = []
    for _ in range(n_streams):
        nb = _read_exact(f, 1, where)
        name = _read_exact(f, nb[0], where)
        head += nb + name
        table.append((name, _read_uvarint(f, head, where), _read_uvarint(f, head, where)))
    (hcrc,) = struct.unpack("<I", _read_exact(f, 4, where))
    if zlib.crc32(head) != hcrc:
        raise ArchiveError(f"corrupt block {expected_index} header (checksum mismatch)")
    if index != expected_index:
        raise ArchiveError(f"blocks out of order: found block {index} where {expected_index} belongs")
    if raw_len > MAX_BLOCK_RAW:
        raise ArchiveError(f"corrupt block {index} (declares {raw_len} bytes)")
    block = Block(index, raw_len, raw_crc, n_symbols, n_records)
    block.size = len(head) + 4 + sum(c for _, _, c in table) + 4
    return block, table, len(head)


def _check_stream(index: int, s_raw: int, s_coded: int) -> None:
    if s_raw > MAX_BLOCK_RAW or s_coded > MAX_STREAM_CODED:
        raise ArchiveError(f"corrupt block {index} (stream declares {s_raw} bytes)")


def _stream_name(index: int, name: bytes) -> str:
    try:
        return name.decode("ascii")
    except UnicodeDecodeError:
        raise ArchiveError(f"corrupt block {index} (stream name)") from None


def read_block_or_footer(
    f: BinaryIO, expected_index: int, remaining: int | None, version: int = INDEXED_VERSION - 1
) -> Block | IndexSection | Footer:
    """Reads the next block (checking its framing and CRCs), the index section (version 5 and
    later) or the footer.

    ``remaining`` is the number of archive bytes left when known (a regular file), so that a
    declared payload larger than the file is reported as truncation before reading it.
    """
    tag = _read_exact(f, 4, f"block {expected_index}")
    if tag == END_TAG:
        return parse_footer(tag + _read_exact(f, footer_size(version) - 4, "footer"), version)
    if tag == INDEX_TAG and version >= INDEXED_VERSION:
        return read_index_section(f, remaining, tag_read=True)
    block, table, head_len = _read_block_head(f, expected_index, tag)
    index = block.index
    total_coded = sum(c for _, _, c in table)
    if remaining is not None and total_coded + 4 > remaining - head_len - 4:
        raise ArchiveError(f"truncated archive (block {index} payload)")
    crc = 0
    for name, s_raw, s_coded in table:
        _check_stream(index, s_raw, s_coded)
        coded = _read_exact(f, s_coded, f"block {index} payload")
        crc = zlib.crc32(coded, crc)
        block.streams[_stream_name(index, name)] = (s_raw, coded)
    (dcrc,) = struct.unpack("<I", _read_exact(f, 4, f"block {index} payload"))
    if dcrc != crc:
        raise ArchiveError(f"corrupt block {index} (payload checksum mismatch)")
    return block


def check_footer(footer: Footer, n_blocks: int, total_len: int) -> None:
    """The footer must list exactly the blocks read before it and the original bytes they hold
    (a removed or added block at the end leaves every block's own framing intact)."""
    if footer.n_blocks != n_blocks:
        raise ArchiveError(
            f"archive footer does not match its blocks: it lists {footer.n_blocks} block(s), "
            f"the archive holds {n_blocks} (blocks missing or added)"
        )
    if footer.total_len != total_len:
        raise ArchiveError(
            f"archive footer does not match its blocks: it records {footer.total_len} original "
            f"bytes, the blocks hold {total_len}"
        )
