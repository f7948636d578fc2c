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
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from .codecs.fields import decode_fields, encode_fields, method_name
from .container import (
    MAX_BLOCK_RAW,
    Block,
    Footer,
    IndexSection,
    check_footer,
    describe_size,
    footer_size,
    next_member,
    read_block_or_footer,
    read_meta_sized,
    read_version,
    write_block,
    write_footer,
    write_header,
    write_index,
)
from .errors import ArchiveError, DnacompError
from .fileio import sniff_stream, write_fully
from .formats import PARSERS, UNPARSERS
from .formats.chunks import iter_chunks
from .formats.detect import detect_format
from .formats.records import RecordScanner
from .formats.streams import ChunkStreams
from .index import ArchiveIndex, SegmentEntry, pack_index, unpack_index
from .models.levels import DEFAULT_LEVEL, DEFAULT_MODEL, params_for_level
from .models.params import ModelParams
from .parallel import InOrder, locked, workers_for
from .version import __version__

if TYPE_CHECKING:  # the kernels (numba) are imported when a stream is coded, not for `dnacomp info`
    from .models.basecodec import BaseDecoder

BASES = "bases"
#: the default segment size (bytes of input), chosen by measurement (docs/segments.md): what
#: it costs against one segment (dm3 at -5: 4 MiB +2.2%, 8 MiB +1.5%, 16 MiB +1.0%, 32 MiB
#: +0.5%) against how many cores a genome can use; an input of known size is cut into equal
#: segments of at most this size (``balanced_segment_size``). The strong FASTA levels take
#: larger ones (ratio first: human DNA's repeat model gains from a long history), FASTQ smaller
#: ones (its side-stream models do better per 8 MiB: the read sets of the corpus, concatenated,
#: cost +0.2% at 8 MiB against one stream, +0.9% at 16 MiB)
SEGMENT_SIZE = 32 << 20
STRONG_SEGMENT_SIZE = 128 << 20  # FASTA levels 7-9
READS_SEGMENT_SIZE = 8 << 20  # FASTQ, every level
#: FASTQ of long reads (nanopore, PacBio): like genomes, they pay for relearning, since their
#: quality model has four large context models (two on the bases) to fill. At -5 against 8 MiB:
#: ONT cDNA (9.2 MB) one segment -1.9%, PacBio RS II (26 MB) one segment -0.8%, 16 MiB -0.5%
#: (docs/segments.md)
LONG_READS_SEGMENT_SIZE = 32 << 20
#: a FASTQ is of long reads when the lines of its first bytes are this long on average (4 lines a
#: record: a record of ~1 kB, reads of ~450 bases on; Illumina's 2 x 300 bp records are ~650 B)
LONG_READ_LINE = 256
MIN_SEGMENT_SIZE = 1
MAX_SEGMENT_SIZE = 1 << 32

# --- the format versions: which are written, which are read, and what each means --------------
# (the container frames a version number; what it means is decided here)

FORMAT_VERSION = 7  # the newest version written (see ``format_version``)
#: versions this code reads. 2 added the stream methods 8 (tokenised names) and 9 (quality
#: context mixing), see codecs/fields.py; a version-1 archive is a version-2 archive without them.
#: 3 added the GRU to the base model (the gru_* base-model parameters, models/gru.py). Archives
#: without the GRU are still written as version 2, so that dnacomp versions that predate the GRU
#: keep reading them; a GRU archive is version 3, so that those versions refuse it clearly
#: instead of decoding it without the GRU. 4 added the many-candidate repeat model (the rep_*
#: base-model parameters, models/kernel.py), with or without the GRU; the same rule applies: only
#: archives that use it are version 4. 5 made every block an independent *segment* (the model
#: state starts cold in each) and added the index section and the longer footer (container.py,
#: index.py); every archive is written as version 5, whatever models it uses, since the index
#: and the segments are what every reader now relies on (docs/format.md). 6 lets a FASTQ block's
#: quality stream read the block's bases (quality codec stream version 2, codecs/quality.py); the
#: header is written before any block is coded, so every FASTQ archive is version 6 and FASTA
#: archives, which have no qualities, stay version 5. 7 lets a FASTQ block's names be coded
#: shaped (stream method 10: UUIDs apart, ISO timestamps as numbers, codecs/name_shapes.py), so
#: every FASTQ archive is version 7 since.
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7)
SEGMENTED_VERSION = 5
QUALITY_BASES_VERSION = 6  # the first version whose quality streams may read the bases
NAME_SHAPES_VERSION = 7  # the first version whose FASTQ names may be coded shaped
GRU_VERSION = 3  # the first version whose base model may use the GRU
REPEAT_VERSION = 4  # the first version whose base model may use the repeat model


def format_version(kind: str) -> int:
    """The version an archive of ``kind`` is written as: the oldest that has what it may use."""
    return NAME_SHAPES_VERSION if kind == "fastq" else SEGMENTED_VERSION


def read_header(f: BinaryIO) -> tuple[int, dict]:
    """``read_header_sized`` without the size."""
    version, meta, _ = read_header_sized(f)
    return version, meta


def read_header_sized(f: BinaryIO) -> tuple[int, dict, int]:
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
    meta, size = read_meta_sized(f, version)
    base_model = meta.get("base_model")
    if version < GRU_VERSION and isinstance(base_model, dict) and base_model.get("gru_mode"):
        raise ArchiveError(f"corrupt header (GRU parameters in a version-{version} archive)")
    if version < REPEAT_VERSION and isinstance(base_model, dict) and any(k.startswith("rep_") for k in base_model):
        raise ArchiveError(f"corrupt header (repeat-model parameters in a version-{version} archive)")
    return version, meta, size


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
    version: int = 0  # the format version (the first archive's, when concatenated)
    segment_size: int = 0  # version 5: what the segments were cut by

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
    segment_size: int | None = None,
    model: str = DEFAULT_MODEL,
    memory: int | None = None,
    input_size: int | None = None,
) -> ArchiveStats:
    """Compresses FASTA/FASTQ bytes from ``src`` into a .dnac archive written to ``dst``.

    The input is cut into segments of about ``segment_size`` bytes (whole records where they
    fit, ``formats.chunks``), each coded from the same cold model state; ``threads`` segments
    are coded at once (``parallel.workers_for`` lowers that to fit ``memory``). The cut points
    depend on the input and ``segment_size`` only, so every thread count writes the same bytes.
    Without ``segment_size``, ``input_size`` (the input's bytes, when known) chooses it
    (``balanced_segment_size``)."""
    if segment_size is not None:
        check_segment_size(segment_size)
    params_for_level(level, model=model)  # a bad level or model fails before any input is read
    head, src = sniff_stream(src)
    kind = detect_format(head, source)
    if segment_size is None:
        segment_size = balanced_segment_size(input_size, segment_target(kind, level, head))
    params = params_for_level(level, kind, model)
    parse = PARSERS[kind]
    out = _CountingWriter(dst)
    meta = {
        "kind": kind,
        "level": level,
        "base_model": params.to_dict(),
        "segment_size": segment_size,
        "writer": f"dnacomp {__version__}",
    }
    version = format_version(kind)
    write_header(out, meta, version)
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"])
    sha = hashlib.sha256()
    scanner = RecordScanner() if kind == "fasta" else None
    index = ArchiveIndex()
    workers = workers_for(threads, params.memory_bytes(), segment_size, memory)
    report = locked(progress)
    started = time.perf_counter()

    def code(number: int, chunk: bytes, first_line: int, first_record: int, side: Executor | None) -> Block:
        raw_len, raw_crc = len(chunk), zlib.crc32(chunk)
        streams = parse(chunk, source, first_line, first_record)
        del chunk
        return _encode_block(number, raw_len, raw_crc, streams, params, side, report)

    def write(block: Block, scanned: tuple[int, int] | None) -> None:
        entry = _segment_entry(out.count, block)
        if scanned is not None:
            residues, entry.n_headers = scanned
            if residues != block.n_symbols:  # the index would lie
                raise DnacompError(
                    f"{source}: segment {block.index} has {block.n_symbols} residues by the parser, "
                    f"{residues} by the index (please report this)"
                )
        index.segments.append(entry)
        write_block(out, block)
        stats.input_bytes += block.raw_len
        stats.n_symbols += block.n_symbols
        stats.n_bases += block.streams[BASES][0]
        stats.n_records += block.n_records
        stats.n_blocks += 1
        for name, (raw, coded) in block.streams.items():
            stats.add_stream(name, raw, coded)

    with InOrder(workers, side_threads=threads - 1) as pipeline:
        number = 0
        for chunk, first_line, first_record in iter_chunks(src, kind, source, segment_size):
            _check_chunk_size(chunk, source, first_line)
            sha.update(chunk)
            scanned = (scanner.feed(chunk), scanner.headers_fed[-1]) if scanner is not None else None
            box = [chunk]
            del chunk  # the pipeline holds the only reference: a long read's chunk is freed once parsed
            for block, done in pipeline.submit(code, (number, box.pop(), first_line, first_record), scanned):
                write(block, done)
            number += 1
        for block, done in pipeline.drain():
            write(block, done)
    if scanner is not None:
        index.records = scanner.records
    index_len = write_index(out, pack_index(index))
    footer = Footer(stats.n_blocks, stats.input_bytes, sha.digest(), index_len, out.count + footer_size(version))
    write_footer(out, footer, version)
    stats.archive_bytes = out.count
    stats.seconds = time.perf_counter() - started
    return stats


def _segment_entry(offset: int, block: Block) -> SegmentEntry:
    """A block's index entry, as far as the block alone tells (the header count is the scanner's)."""
    headers = block.streams.get("headers")
    crc = zlib.crc32(headers[1]) if headers is not None else 0
    return SegmentEntry(offset, block.raw_len, block.n_symbols, block.n_records, 0, crc)


def segment_target(kind: str, level: int, head: bytes = b"") -> int:
    """The largest default segment of a kind and level (see SEGMENT_SIZE); for FASTQ also of
    what its ``head`` (its first bytes) shows: long reads take longer segments. Decided by the
    input alone, so every thread count still writes the same archive."""
    if kind == "fastq":
        return LONG_READS_SEGMENT_SIZE if long_reads(head) else READS_SEGMENT_SIZE
    return STRONG_SEGMENT_SIZE if level >= 7 else SEGMENT_SIZE


def long_reads(head: bytes) -> bool:
    """Whether a FASTQ whose first bytes are ``head`` holds long reads: lines of LONG_READ_LINE
    bytes or more on average (a head without a line end is one long read)."""
    return bool(head) and len(head) >= LONG_READ_LINE * max(head.count(b"\n"), 1)


def balanced_segment_size(input_size: int | None, target: int = SEGMENT_SIZE) -> int:
    """The segment size for an input of ``input_size`` bytes (None: unknown, a pipe or gzip):
    the fewest segments of at most ``target`` bytes, made equal, so that a 55 MB genome is two
    segments of 28 MB (both cores busy to the end) rather than 32 + 23. A little slack keeps a
    record that starts just before the cut from spilling a tiny third segment. It depends on the
    input alone, never on the thread count, and the archive records it."""
    if not input_size or input_size <= target:
        return target
    n = -(-input_size // target)
    even = -(-input_size // n)
    return min(MAX_SEGMENT_SIZE, even + even // 32)


def check_segment_size(segment_size: int) -> None:
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise DnacompError(f"segment size {segment_size} is out of range {MIN_SEGMENT_SIZE}..{MAX_SEGMENT_SIZE} bytes")


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
    params: ModelParams,
    pool: Executor | None,
    progress: Progress,
) -> Block:
    """One segment, coded from the cold model state of ``params``."""
    from .models.basecodec import BaseEncoder

    encoder = BaseEncoder(params)
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
            encode_fields, streams.kind, streams.fields, streams.n_symbols, streams.n_records, streams.bases
        )
        coded_bases = encoder.encode(streams.bases, on_bases)
        coded_fields = coded_fields_future.result()
    else:
        coded_bases = encoder.encode(streams.bases, on_bases)
        coded_fields = encode_fields(streams.kind, streams.fields, streams.n_symbols, streams.n_records, streams.bases)
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


def check_meta(meta: dict, version: int = SEGMENTED_VERSION - 1) -> tuple[str, int, ModelParams]:
    """The one check of a header's metadata (as ``container.parse_meta`` returns it): every field
    used, by type and range, before anything uses it. Returns kind, level and model parameters;
    anything else is an ArchiveError naming the field.

    Fields: kind ("fasta"|"fastq"), level (optional integer), writer (optional string) and
    base_model (an object of exactly the ModelParams fields, each of its declared type; ranges
    and consistency by ``ModelParams.validate``). Other top-level keys are read by nothing and
    ignored, so that a newer writer may add informational ones; an unknown base-model parameter
    is refused, since the decoder could not match it. From version 5 on, segment_size (the
    integer the segments were cut by) is required."""
    if version >= SEGMENTED_VERSION:
        size = meta.get("segment_size")
        if type(size) is not int:
            raise ArchiveError(f"corrupt header (segment_size must be an integer, not {_json_type(size)})")
        if not MIN_SEGMENT_SIZE <= size <= MAX_SEGMENT_SIZE:
            raise ArchiveError(f"corrupt header (segment_size {size} is out of range)")
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


def decompress_stream(
    src: BinaryIO, dst: BinaryIO | None, *, progress: Progress = None, threads: int = 1
) -> ArchiveStats:
    """Restores the original bytes into ``dst`` (None: verify only, like ``gzip -t``).

    Each block is checked against its CRC before it is written, and the whole output against the
    sha256 of the original at the end; any mismatch raises ArchiveError. Concatenated archives
    restore to the concatenation of their originals, each verified on its own.
    """
    report = locked(progress)
    return _each_member(src, lambda member: _decompress_member(member, dst, report, threads))


def _each_member(src: BinaryIO, read_member: Callable[[BinaryIO], ArchiveStats]) -> ArchiveStats:
    total = read_member(src)
    while (src := next_member(src)) is not None:
        total.add_member(read_member(src))
    return total


def _decompress_member(src: BinaryIO, dst: BinaryIO | None, progress: Progress, threads: int = 1) -> ArchiveStats:
    version, meta, header_bytes = read_header_sized(src)
    kind, level, params = check_meta(meta, version)
    unparse = UNPARSERS[kind]
    from .models.basecodec import BaseDecoder

    segmented = version >= SEGMENTED_VERSION
    shared = None if segmented else BaseDecoder(params)  # before v5 the state runs through all blocks
    sha = hashlib.sha256()
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"])
    check = _IndexCheck(kind) if segmented else None
    started = time.perf_counter()
    workers = workers_for(threads, params.memory_bytes(), meta.get("segment_size", 0), None) if segmented else 1

    def decode(block: Block, side: Executor | None) -> bytes:
        return decode_block(block, kind, unparse, shared if shared is not None else BaseDecoder(params), version)

    def write(chunk: bytes, block: SegmentEntry) -> None:
        sha.update(chunk)
        if dst is not None:
            write_fully(dst, chunk)
        if check is not None:
            check.add(block, chunk)
        stats.input_bytes += len(chunk)
        stats.n_symbols += block.n_symbols
        stats.n_records += block.n_records
        stats.n_blocks += 1
        if progress is not None:
            progress(len(chunk))

    walk = _BlockWalk(src, version, header_bytes)
    with InOrder(workers) as pipeline:
        for item in walk:
            _check_block(item)
            for chunk, block in pipeline.submit(decode, (item,), _segment_entry(walk.offset, item)):
                write(chunk, block)
        for chunk, block in pipeline.drain():
            write(chunk, block)
    footer = walk.footer
    check_footer(footer, walk.count, stats.input_bytes)
    if check is not None:
        check.finish(walk.section, footer, walk.end)
    if sha.digest() != footer.sha256:
        raise ArchiveError("sha256 of the restored data does not match the original")
    stats.seconds = time.perf_counter() - started
    return stats


class _BlockWalk:
    """The blocks of one archive, in order (iterate), then what follows them: the index section
    (version 5) and the footer. ``offset`` is the current block's from the archive's start,
    ``end`` where the blocks end; a block after the index is refused."""

    def __init__(self, src: BinaryIO, version: int, header_bytes: int):
        self.src, self.version = src, version
        self.section: IndexSection | None = None
        self.footer: Footer | None = None
        self.count = 0
        self.offset = self.end = header_bytes

    def __iter__(self):
        while True:
            item = read_block_or_footer(self.src, self.count, _remaining(self.src), self.version)
            if isinstance(item, IndexSection):
                self.section = item
                continue
            if isinstance(item, Footer):
                self.footer = item
                return
            if self.section is not None:
                raise ArchiveError(f"corrupt archive (block {self.count} after the index)")
            self.offset = self.end
            self.end += item.size
            yield item
            self.count += 1


def _check_footer_sizes(footer: Footer, section: IndexSection, blocks_end: int) -> None:
    """A version-5 footer records the index section's size and the whole archive's."""
    if footer.index_len != section.size or footer.member_len != blocks_end + section.size + footer_size(
        SEGMENTED_VERSION
    ):
        raise ArchiveError("corrupt footer (index or archive size does not match)")


class _IndexCheck:
    """Rebuilds the index from the blocks as they are restored and compares it with the one the
    archive holds, so that `decompress` and `test` vouch for what `extract` will trust."""

    def __init__(self, kind: str):
        self.scanner = RecordScanner() if kind == "fasta" else None
        self.index = ArchiveIndex()

    def add(self, entry: SegmentEntry, chunk: bytes) -> None:
        if self.scanner is not None:
            self.scanner.feed(chunk)
            entry.n_headers = self.scanner.headers_fed[-1]
        self.index.segments.append(entry)

    def finish(self, section: IndexSection | None, footer: Footer, blocks_end: int) -> None:
        if section is None:
            raise ArchiveError("corrupt archive (no index)")
        stored = unpack_index(section.packed)
        if self.scanner is not None:
            self.index.records = self.scanner.records
            if len(stored.records) == len(self.index.records):
                stored.attach_headers([r.header for r in self.index.records])
        if stored != self.index:
            raise ArchiveError("corrupt index (it does not describe the segments it follows)")
        _check_footer_sizes(footer, section, blocks_end)


def _check_block(block: Block) -> None:
    """What a block must hold whatever its payloads decode to (`info` checks it too)."""
    if BASES not in block.streams:
        raise ArchiveError(f"corrupt block {block.index} (no base stream)")
    if block.streams[BASES][0] > block.raw_len:
        raise ArchiveError(f"corrupt block {block.index} (more bases than bytes)")


def decode_block(block: Block, kind: str, unparse, decoder: BaseDecoder, version: int) -> bytes:
    """One block's input bytes, checked against its CRC; the bases are decoded first, since from
    version 6 on the qualities may read them."""
    _check_block(block)
    n_bases, coded = block.streams[BASES]
    bases = decoder.decode(coded, n_bases)
    fields = decode_fields(
        kind,
        {name: s for name, s in block.streams.items() if name != BASES},
        block.n_symbols,
        block.n_records,
        bases if version >= QUALITY_BASES_VERSION else None,
        shaped_names=version >= NAME_SHAPES_VERSION,
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
    version, meta, header_bytes = read_header_sized(src)
    kind, level, _ = check_meta(meta, version)
    stats = ArchiveStats(kind=kind, level=level, params=meta["base_model"], version=version)
    stats.segment_size = meta.get("segment_size", 0)
    segments = []
    walk = _BlockWalk(src, version, header_bytes)
    for item in walk:
        stats.n_symbols += item.n_symbols
        stats.n_records += item.n_records
        stats.input_bytes += item.raw_len
        _check_block(item)
        stats.n_bases += item.streams[BASES][0]
        for name, (raw, coded) in item.streams.items():
            stats.add_stream(name, raw, coded)
        segments.append(_segment_entry(walk.offset, item))
    check_footer(walk.footer, walk.count, stats.input_bytes)
    if version >= SEGMENTED_VERSION:
        _check_index_framing(walk.section, walk.footer, segments, walk.end, kind, stats.n_records)
    stats.n_blocks = walk.count
    return stats


def _check_index_framing(
    section: IndexSection | None, footer: Footer, segments: list, position: int, kind: str, n_records: int
) -> None:
    """What `info` can check of the index without decoding: its segments, its record count and
    the footer's sizes (the records' names and lengths are checked by `test`)."""
    if section is None:
        raise ArchiveError("corrupt archive (no index)")
    index = unpack_index(section.packed)
    for entry, stored in zip(segments, index.segments):
        entry.n_headers = stored.n_headers  # the one thing only decoding could check
    if kind == "fasta" and sum(s.n_headers for s in index.segments) != len(index.records):
        raise ArchiveError("corrupt index (its header counts do not match its records)")
    if index.segments != segments:
        raise ArchiveError("corrupt index (it does not describe the segments it follows)")
    if kind == "fasta" and len(index.records) > n_records or kind == "fastq" and index.records:
        raise ArchiveError("corrupt index (more records than the segments hold)")
    _check_footer_sizes(footer, section, position)
