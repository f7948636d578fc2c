"""Compression and decompression of whole streams: parser -> stream codecs -> container.

This is the one place that knows the order of operations; it does no modelling and no parsing
itself. Input is processed in chunks (``formats.chunks``), one container block each, so memory is
bounded by the chunk size plus the model tables, whatever the input size. The base model's state
carries over from block to block, so blocks decode in order only.

Threads: the codecs of the side streams (``codecs/fields.py``) run in a worker thread beside the
base model (all of them release the GIL), which changes nothing in the archive.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import typing
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from .codecs.fields import decode_fields, encode_fields, method_name
from .container import (
    MAX_BLOCK_RAW,
    Block,
    Footer,
    check_footer,
    describe_size,
    next_member,
    read_block_or_footer,
    read_meta,
    read_version,
    write_block,
    write_footer,
    write_header,
)
from .errors import ArchiveError, DnacompError
from .fileio import sniff_stream, write_fully
from .formats import PARSERS, UNPARSERS
from .formats.chunks import iter_chunks
from .formats.detect import detect_format
from .formats.streams import ChunkStreams
from .models.levels import DEFAULT_LEVEL, DEFAULT_MODEL, params_for_level
from .models.params import ModelParams
from .version import __version__

if TYPE_CHECKING:  # the kernels (numba) are imported when a stream is coded, not for `dnacomp info`
    from .models.basecodec import BaseDecoder, BaseEncoder

BASES = "bases"
CHUNK_SIZE = 8 << 20

# --- the format versions: which are written, which are read, and what each means --------------
# (the container frames a version number; what it means is decided here)

FORMAT_VERSION = 4  # the newest version written
#: versions this code reads. 2 added the stream methods 8 (tokenised names) and 9 (quality
#: context mixing), see codecs/fields.py; a version-1 archive is a version-2 archive without them.
#: 3 added the GRU to the base model (the gru_* base-model parameters, models/gru.py). Archives
#: without the GRU are still written as version 2, so that dnacomp versions that predate the GRU
#: keep reading them; a GRU archive is version 3, so that those versions refuse it clearly
#: instead of decoding it without the GRU. 4 added the many-candidate repeat model (the rep_*
#: base-model parameters, models/kernel.py), with or without the GRU; the same rule applies: only
#: archives that use it are version 4.
READABLE_VERSIONS = (1, 2, 3, 4)
CM_VERSION = 2  # what archives without the GRU and the repeat model are written as
GRU_VERSION = 3  # the first version whose base model may use the GRU
REPEAT_VERSION = 4  # the first version whose base model may use the repeat model


def version_for(params: ModelParams) -> int:
    """The format version an archive of these base-model parameters is written as: the oldest
    that has every model they use, so that older dnacomp versions read what they can."""
    if params.rep.count:
        return REPEAT_VERSION
    return GRU_VERSION if params.gru.mode else CM_VERSION


def read_header(f: BinaryIO) -> tuple[int, dict]:
    """An archive's header: (format version, metadata), the version refused before anything else
    is read when this code cannot read it, and the metadata refused when it asks for what its
    version does not have (the GRU before version 3, the repeat model before 4). Each field is
    checked by ``check_meta``."""
    version = read_version(f)
    if version not in READABLE_VERSIONS:
        raise ArchiveError(
            f"archive format version {version} is not supported "
            f"(this dnacomp reads versions {', '.join(map(str, READABLE_VERSIONS))})"
        )
    meta = read_meta(f, version)
    base_model = meta.get("base_model")
    if version < GRU_VERSION and isinstance(base_model, dict) and base_model.get("gru_mode"):
        raise ArchiveError(f"corrupt header (GRU parameters in a version-{version} archive)")
    if version < REPEAT_VERSION and isinstance(base_model, dict) and any(k.startswith("rep_") for k in base_model):
        raise ArchiveError(f"corrupt header (repeat-model parameters in a version-{version} archive)")
    return version, meta


Progress = Callable[[int], None] | None


@dataclass
class ArchiveStats:
    """What a run did: sizes per stream, for reports and `dnacomp info`."""

    kind: str = ""
    level: int = 0
    input_bytes: int = 0
    archive_bytes: int = 0
    n_symbols: int = 0
    n_bases: int = 0
    n_records: int = 0
    n_blocks: int = 0
    stream_bytes: dict[str, int] = field(default_factory=dict)
    stream_raw: dict[str, int] = field(default_factory=dict)
    stream_methods: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0
    params: dict = field(default_factory=dict)
    n_members: int = 1  # concatenated archives

    @property
    def bits_per_base(self) -> float:
        return 8 * self.archive_bytes / self.n_symbols if self.n_symbols else 0.0

    def add_member(self, other: ArchiveStats) -> None:
        """Totals over concatenated archives (kind, level and model are the first one's)."""
        for name in (
            "input_bytes",
            "archive_bytes",
            "n_symbols",
            "n_bases",
            "n_records",
            "n_blocks",
            "seconds",
            "n_members",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, coded in other.stream_bytes.items():
            self.stream_bytes[name] = self.stream_bytes.get(name, 0) + coded
            self.stream_raw[name] = self.stream_raw.get(name, 0) + other.stream_raw[name]
            self.stream_methods.setdefault(name, set()).update(other.stream_methods.get(name, ()))

    def add_stream(self, name: str, raw: int, coded: bytes) -> None:
        self.stream_bytes[name] = self.stream_bytes.get(name, 0) + len(coded)
        self.stream_raw[name] = self.stream_raw.get(name, 0) + raw
        if name != BASES:
            self.stream_methods.setdefault(name, set()).add(method_name(coded))


class _CountingWriter:
    """Counts the archive's bytes; every write is complete (``fileio.write_fully``)."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.count = 0

    def write(self, data: bytes) -> int:
        write_fully(self.out, data)
        self.count += len(data)
        return len(data)


def compress_stream(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    level: int = DEFAULT_LEVEL,
    source: str = "<stdin>",
    threads: int = 1,
    progress: Progress = None,
    chunk_size: int = CHUNK_SIZE,
    model: str = DEFAULT_MODEL,
) -> ArchiveStats:
    """Compresses FASTA/FASTQ bytes from ``src`` into a .dnac archive written to ``dst``."""
    params_for_level(level, model=model)  # a bad level or model fails before any input is read
    head, src = sniff_stream(src)
    kind = detect_format(head, source)
    params = params_for_level(level, kind, model)
    parse = PARSERS[kind]
    out = _CountingWriter(dst)
    meta = {"kind": kind, "level": level, "base_model": params.to_dict(), "writer": f"dnacomp {__version__}"}
    write_header(out, meta, version_for(params))
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"])
    sha = hashlib.sha256()
    from .models.basecodec import BaseEncoder

    encoder = BaseEncoder(params)
    started = time.perf_counter()
    pool_cm = ThreadPoolExecutor(max_workers=threads - 1) if threads > 1 else nullcontext(None)
    with pool_cm as pool:
        index = 0
        for chunk, first_line, first_record in iter_chunks(src, kind, source, chunk_size):
            _check_chunk_size(chunk, source, first_line)
            sha.update(chunk)
            raw_len, raw_crc = len(chunk), zlib.crc32(chunk)
            streams = parse(chunk, source, first_line, first_record)
            del chunk  # the only reference (iter_chunks keeps none): a long read's chunk is freed here
            block = _encode_block(index, raw_len, raw_crc, streams, encoder, pool, progress)
            write_block(out, block)
            index += 1
            stats.input_bytes += raw_len
            stats.n_symbols += streams.n_symbols
            stats.n_bases += len(streams.bases)
            stats.n_records += streams.n_records
            stats.n_blocks += 1
            for name, (raw, coded) in block.streams.items():
                stats.add_stream(name, raw, coded)
            del streams, block  # not held while the next chunk is read (it may be a long read)
    write_footer(out, Footer(stats.n_blocks, stats.input_bytes, sha.digest()))
    stats.archive_bytes = out.count
    stats.seconds = time.perf_counter() - started
    return stats


def _check_chunk_size(chunk: bytes, source: str, first_line: int) -> None:
    """A chunk is one block, and a line or FASTQ record is never cut: input with a line or record
    too long for a block is refused before coding it (``write_block`` would refuse the block)."""
    if len(chunk) > MAX_BLOCK_RAW:
        raise DnacompError(
            f"{source} (line {first_line}): {len(chunk)} bytes of input that cannot be cut "
            f"(one line or FASTQ record), over the {describe_size(MAX_BLOCK_RAW)} an "
            f"archive block may hold"
        )


def _encode_block(
    index: int,
    raw_len: int,
    raw_crc: int,
    streams: ChunkStreams,
    encoder: BaseEncoder,
    pool: Executor | None,
    progress: Progress,
) -> Block:
    n_bases = len(streams.bases)
    # the progress bar counts input bytes; bases are nearly all of them
    scale = raw_len / n_bases if n_bases else 0.0
    done = 0

    def on_bases(n: int) -> None:
        nonlocal done
        if progress is not None:
            step = int((done + n) * scale) - int(done * scale)
            progress(step)
        done += n

    if pool is not None:  # the side streams code in the pool while the bases code here
        coded_fields_future = pool.submit(
            encode_fields, streams.kind, streams.fields, streams.n_symbols, streams.n_records
        )
        coded_bases = encoder.encode(streams.bases, on_bases)
        coded_fields = coded_fields_future.result()
    else:
        coded_bases = encoder.encode(streams.bases, on_bases)
        coded_fields = encode_fields(streams.kind, streams.fields, streams.n_symbols, streams.n_records)
    if progress is not None:
        progress(raw_len - int(done * scale))
    block = Block(index, raw_len, raw_crc, streams.n_symbols, streams.n_records)
    block.streams[BASES] = (n_bases, coded_bases)
    for name, raw in sorted(streams.fields.items()):
        block.streams[name] = (len(raw), coded_fields[name])
    return block


#: the level a header may record: it only informs (the parameters decide the decoding), and a
#: level this version does not know is described as "?"
MAX_LEVEL = 255
#: what each base-model parameter must be in the JSON, from the ModelParams field it fills:
#: int, bool (0/1), tuple[int, ...] or tuple[bool, ...] (arrays of those)
_PARAM_TYPES = ModelParams.header_types()


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {
        int: "an integer",
        float: "a floating-point number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _check_param(name: str, value) -> None:
    """One base-model parameter as JSON: the type its ModelParams field declares."""
    hint = _PARAM_TYPES.get(name)
    if hint is None:
        raise ArchiveError(f"corrupt header (unknown base-model parameter {name[:40]!r})")
    if typing.get_origin(hint) is tuple:
        if type(value) is not list:
            raise ArchiveError(f"corrupt header (base_model.{name} must be an array, not {_json_type(value)})")
        item_type, items = typing.get_args(hint)[0], enumerate(value)
    else:
        item_type, items = hint, [(None, value)]
    for i, item in items:
        where = f"base_model.{name}" + ("" if i is None else f"[{i}]")
        if item_type is bool and not (type(item) in (bool, int) and item in (0, 1)):
            raise ArchiveError(
                f"corrupt header ({where} must be 0 or 1, not {_json_type(item)}"
                f"{f' {item}' if type(item) is int else ''})"
            )
        if item_type is int and type(item) is not int:
            raise ArchiveError(f"corrupt header ({where} must be an integer, not {_json_type(item)})")


def check_meta(meta: dict) -> tuple[str, int, ModelParams]:
    """The one check of a header's metadata (as ``container.parse_meta`` returns it): every field
    used, by type and range, before anything uses it. Returns kind, level and model parameters;
    anything else is an ArchiveError naming the field.

    Fields: kind ("fasta"|"fastq"), level (optional integer), writer (optional string) and
    base_model (an object of exactly the ModelParams fields, each of its declared type; ranges
    and consistency by ``ModelParams.validate``). Other top-level keys are read by nothing and
    ignored, so that a newer writer may add informational ones; an unknown base-model parameter
    is refused, since the decoder could not match it."""
    if "kind" not in meta:
        raise ArchiveError("corrupt header (no content kind)")
    kind = meta["kind"]
    if type(kind) is not str:
        raise ArchiveError(f"corrupt header (kind must be a string, not {_json_type(kind)})")
    if kind not in UNPARSERS:
        raise ArchiveError(f"unknown content kind {kind[:40]!r}")
    level = meta.get("level", 0)
    if type(level) is not int:
        raise ArchiveError(f"corrupt header (level must be an integer, not {_json_type(level)})")
    if not 0 <= level <= MAX_LEVEL:
        raise ArchiveError(f"corrupt header (level {level} is out of range 0..{MAX_LEVEL})")
    if "writer" in meta and type(meta["writer"]) is not str:
        raise ArchiveError(f"corrupt header (writer must be a string, not {_json_type(meta['writer'])})")
    if "base_model" not in meta:
        raise ArchiveError("corrupt header (no base-model parameters)")
    base_model = meta["base_model"]
    if type(base_model) is not dict:
        raise ArchiveError(f"corrupt header (base_model must be an object, not {_json_type(base_model)})")
    for name, value in base_model.items():
        _check_param(name, value)
    try:
        params = ModelParams.from_dict(base_model)  # the types are right: from_dict only copies
    except KeyError as exc:
        raise ArchiveError(f"corrupt header (base_model lacks {exc.args[0]!r})") from None
    try:
        params.validate()
    except ValueError as exc:
        raise ArchiveError(f"corrupt header (bad model parameters: {exc})") from None
    return kind, level, params


def _remaining(f: BinaryIO) -> int | None:
    """Archive bytes left to read when ``f`` is a regular file (not a pipe), else None."""
    try:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None
        return st.st_size - f.tell()
    except (OSError, ValueError, AttributeError):
        return None


def decompress_stream(src: BinaryIO, dst: BinaryIO | None, *, progress: Progress = None) -> ArchiveStats:
    """Restores the original bytes into ``dst`` (None: verify only, like ``gzip -t``).

    Each block is checked against its CRC before it is written, and the whole output against the
    sha256 of the original at the end; any mismatch raises ArchiveError. Concatenated archives
    restore to the concatenation of their originals, each verified on its own.
    """
    return _each_member(src, lambda member: _decompress_member(member, dst, progress))


def _each_member(src: BinaryIO, read_member: Callable[[BinaryIO], ArchiveStats]) -> ArchiveStats:
    total = read_member(src)
    while (src := next_member(src)) is not None:
        total.add_member(read_member(src))
    return total


def _decompress_member(src: BinaryIO, dst: BinaryIO | None, progress: Progress) -> ArchiveStats:
    _, meta = read_header(src)
    kind, level, params = check_meta(meta)
    unparse = UNPARSERS[kind]
    from .models.basecodec import BaseDecoder

    decoder = BaseDecoder(params)
    sha = hashlib.sha256()
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"])
    started = time.perf_counter()
    index = 0
    while True:
        item = read_block_or_footer(src, index, _remaining(src))
        if isinstance(item, Footer):
            break
        chunk = _decode_block(item, kind, unparse, decoder)
        sha.update(chunk)
        if dst is not None:
            write_fully(dst, chunk)
        stats.input_bytes += len(chunk)
        stats.n_symbols += item.n_symbols
        stats.n_records += item.n_records
        if progress is not None:
            progress(len(chunk))
        index += 1
    check_footer(item, index, stats.input_bytes)
    if sha.digest() != item.sha256:
        raise ArchiveError("sha256 of the restored data does not match the original")
    stats.n_blocks = index
    stats.seconds = time.perf_counter() - started
    return stats


def _check_block(block: Block) -> None:
    """What a block must hold whatever its payloads decode to (`info` checks it too)."""
    if BASES not in block.streams:
        raise ArchiveError(f"corrupt block {block.index} (no base stream)")
    if block.streams[BASES][0] > block.raw_len:
        raise ArchiveError(f"corrupt block {block.index} (more bases than bytes)")


def _decode_block(block: Block, kind: str, unparse, decoder: BaseDecoder) -> bytes:
    _check_block(block)
    n_bases, coded = block.streams[BASES]
    bases = decoder.decode(coded, n_bases)
    fields = decode_fields(
        kind, {name: s for name, s in block.streams.items() if name != BASES}, block.n_symbols, block.n_records
    )
    streams = ChunkStreams(kind=kind, bases=bases, fields=fields, n_symbols=block.n_symbols, n_records=block.n_records)
    try:
        chunk = unparse(streams)
    except DnacompError:
        raise
    except Exception as exc:  # a corrupt field can break the layout in any way
        raise ArchiveError(f"corrupt block {block.index} ({type(exc).__name__} while rebuilding it)") from None
    if len(chunk) != block.raw_len or zlib.crc32(chunk) != block.raw_crc:
        raise ArchiveError(f"block {block.index} does not match its checksum: refusing to write it")
    return chunk


def inspect_stream(src: BinaryIO) -> ArchiveStats:
    """Stream sizes of an archive without decoding it (for `dnacomp info`).

    Every check of `dnacomp test` that needs no decoding is made here too: the header's
    metadata, each block's framing, CRCs, order and contents (``_check_block``), the footer
    against the blocks, and the end of the file; only the payloads' decoding and the sha256
    of the restored data are left to `test`."""
    return _each_member(src, _inspect_member)


def _inspect_member(src: BinaryIO) -> ArchiveStats:
    _, meta = read_header(src)
    kind, level, _ = check_meta(meta)
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"])
    index = 0
    while True:
        item = read_block_or_footer(src, index, _remaining(src))
        if isinstance(item, Footer):
            break
        stats.n_symbols += item.n_symbols
        stats.n_records += item.n_records
        stats.input_bytes += item.raw_len
        _check_block(item)
        stats.n_bases += item.streams[BASES][0]
        for name, (raw, coded) in item.streams.items():
            stats.add_stream(name, raw, coded)
        index += 1
    check_footer(item, index, stats.input_bytes)
    stats.n_blocks = index
    return stats
