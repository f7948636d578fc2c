"""Archive fuzzer: damaged archives must fail cleanly, never crash, hang or restore wrong data.

Used by tests/test_fuzz.py with a small budget, and by hand for long runs:

    python tests/fuzzing.py --seconds 3600          # prints cases tried and any failures

Mutations: truncation (at block boundaries and random offsets), random bit flips and byte
overwrites, blocks shuffled, dropped or duplicated, a wrong version, huge declared lengths, a
block claiming far more bases than its payload holds, and (format version 5) the index damaged,
dropped or swapped for another archive's.
Each mutation is tried twice: as is (the CRCs must catch it) and "resealed", with every CRC
recomputed so that the damage reaches the stream decoders, the base model and the parsers'
inverse, which must then fail with an ArchiveError (the whole-file sha256 is the last guard).

A case fails when decoding raises anything but a DnacompError, returns bytes that differ from
the original, takes more CPU time than the per-case limit, or (resealed or not) allocates beyond
the memory limit set for the fuzzing process.
"""

from __future__ import annotations

import argparse
import io
import random
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dnacomp.archive import compress_stream, decompress_stream  # noqa: E402
from dnacomp.container import BLOCK_TAG, END_TAG, INDEX_TAG, MAGIC, _uvarint  # noqa: E402
from dnacomp.errors import DnacompError  # noqa: E402

SEED_FILES = {
    "fasta": b">r1 first\nACGTACGTTTGACCANNNNNNacgtacgtRYKM\nACGTTGCAACGT\n>r2\n"
    + b"ACGGTCATTGCA" * 40
    + b"\n>empty\n",
    "fastq": b"@q1 a\nACGTNACGTA\n+\nIIII#IIHHG\n@q2 b\nTTGCAACGTA\n+q2 b\nHHHHHGGGFF\n@q3\n\n+\n\n" * 6,
    # Illumina-like names and qualities, so that the name tokeniser and the quality model (stream
    # methods 8 and 9) are the decoders being fuzzed
    "fastq-illumina": b"".join(
        b"@HWI-ST745_0098:1:1101:%d:%d#0/1\n%s\n+\n%s\n"
        % (
            1000 + 37 * i,
            2000 + 5 * i,
            (b"ACGTTGCAAN" * 4)[i % 7 : i % 7 + 30],
            (b"IIIIHHHGGF@@:;9#" * 3)[i % 5 : i % 5 + 30],
        )
        for i in range(40)
    ),
}


GRU_SEEDS = ("fasta",)


@dataclass
class Archive:
    """An archive cut into its parts, so mutations can work on blocks."""

    header: bytes
    blocks: list[bytes]
    index: bytes  # the index section (version 5), tag to crc
    footer: bytes

    def join(self) -> bytes:
        return self.header + b"".join(self.blocks) + self.index + self.footer


def make_archive(data: bytes, level: int = 1, chunk_size: int = 64, model: str = "cm") -> bytes:
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, level=level, segment_size=chunk_size, model=model)
    return out.getvalue()


def split_archive(data: bytes) -> Archive:
    """Cuts a valid archive at its block tags (found by walking the framing, not by search)."""
    meta_len = struct.unpack_from("<I", data, len(MAGIC) + 2)[0]
    pos = len(MAGIC) + 6 + meta_len + 4
    header = data[:pos]
    blocks = []
    while data[pos : pos + 4] == BLOCK_TAG:
        end = _block_end(data, pos)
        blocks.append(data[pos:end])
        pos = end
    index = b""
    if data[pos : pos + 4] == INDEX_TAG:
        end = pos + 16 + struct.unpack_from("<Q", data, pos + 4)[0]
        index, pos = data[pos:end], end
    assert data[pos : pos + 4] == END_TAG
    return Archive(header, blocks, index, data[pos:])


def _read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _block_table(data: bytes, start: int) -> tuple[int, list[int]]:
    """End of the block header (before its CRC) and the coded length of each stream."""
    pos = start + 12
    values = []
    for _ in range(4):
        v, pos = _read_uvarint(data, pos)
        values.append(v)
    coded = []
    for _ in range(values[3]):
        pos += 1 + data[pos]
        _, pos = _read_uvarint(data, pos)
        c, pos = _read_uvarint(data, pos)
        coded.append(c)
    return pos, coded


def _block_end(data: bytes, start: int) -> int:
    head_end, coded = _block_table(data, start)
    return head_end + 4 + sum(coded) + 4


def reseal(data: bytes) -> bytes:
    """Recomputes every CRC of a (possibly damaged) archive whose framing still parses."""
    buf = bytearray(data)
    try:
        meta_len = struct.unpack_from("<I", buf, len(MAGIC) + 2)[0]
        body_end = len(MAGIC) + 6 + meta_len
        struct.pack_into("<I", buf, body_end, zlib.crc32(buf[len(MAGIC) : body_end]))
        pos = body_end + 4
        while buf[pos : pos + 4] == BLOCK_TAG:
            head_end, coded = _block_table(bytes(buf), pos)
            struct.pack_into("<I", buf, head_end, zlib.crc32(buf[pos:head_end]))
            pay = head_end + 4
            pay_end = pay + sum(coded)
            struct.pack_into("<I", buf, pay_end, zlib.crc32(buf[pay:pay_end]))
            pos = pay_end + 4
        if buf[pos : pos + 4] == INDEX_TAG:
            end = pos + 12 + struct.unpack_from("<Q", buf, pos + 4)[0]
            struct.pack_into("<I", buf, end, zlib.crc32(buf[pos:end]))
            pos = end + 4
        if buf[pos : pos + 4] == END_TAG and len(buf) >= pos + 68:
            struct.pack_into("<I", buf, pos + 64, zlib.crc32(buf[pos : pos + 64]))
        elif buf[pos : pos + 4] == END_TAG and len(buf) >= pos + 52:
            struct.pack_into("<I", buf, pos + 48, zlib.crc32(buf[pos : pos + 48]))
    except (IndexError, struct.error):
        pass  # framing destroyed: leave the rest as is
    return bytes(buf)


def mutations(archive: bytes, rnd: random.Random, other: bytes | None = None):
    """Yields (name, damaged archive) for one random mutation of each kind; ``other`` is another
    archive whose index may be swapped in."""
    parts = split_archive(archive)
    if parts.index:
        flipped_index = bytearray(parts.index)
        at = rnd.randrange(len(flipped_index))
        flipped_index[at] ^= 1 << rnd.randrange(8)
        yield "index-bitflip", Archive(parts.header, parts.blocks, bytes(flipped_index), parts.footer).join()
        yield "index-dropped", Archive(parts.header, parts.blocks, b"", parts.footer).join()
        if other is not None and split_archive(other).index != parts.index:
            yield "index-swapped", Archive(parts.header, parts.blocks, split_archive(other).index, parts.footer).join()
    n = len(archive)
    cut = rnd.choice([len(parts.header) + sum(len(b) for b in parts.blocks[:k]) for k in range(len(parts.blocks) + 1)])
    yield "truncate@block", archive[:cut]
    yield "truncate@random", archive[: rnd.randrange(n)]
    flipped = bytearray(archive)
    for _ in range(rnd.choice([1, 1, 2, 8])):
        flipped[rnd.randrange(n)] ^= 1 << rnd.randrange(8)
    yield "bitflip", bytes(flipped)
    over = bytearray(archive)
    at = rnd.randrange(n)
    over[at : at + 4] = bytes(rnd.randrange(256) for _ in range(4))
    yield "overwrite", bytes(over[:n])
    if len(parts.blocks) > 1:
        shuffled = parts.blocks[:]
        while shuffled == parts.blocks:
            rnd.shuffle(shuffled)
        yield "shuffle", Archive(parts.header, shuffled, parts.index, parts.footer).join()
        dropped = parts.blocks[:]
        del dropped[rnd.randrange(len(dropped))]
        yield "drop", Archive(parts.header, dropped, parts.index, parts.footer).join()
        dup = parts.blocks[:]
        k = rnd.randrange(len(dup))
        dup.insert(k, dup[k])
        yield "duplicate", Archive(parts.header, dup, parts.index, parts.footer).join()
    wrong = bytearray(archive)
    struct.pack_into("<H", wrong, len(MAGIC), rnd.choice([0, 2, 255, 65535]))
    yield "version", bytes(wrong)
    if parts.blocks:
        # a huge declared length in a block header: raw_len (first varint after index and crc)
        k = rnd.randrange(len(parts.blocks))
        block = parts.blocks[k]
        _, end = _read_uvarint(block, 12)
        huge = bytes([0xFF] * 8 + [0x7F])
        blocks = parts.blocks[:]
        blocks[k] = block[:12] + huge + block[end:]
        yield "huge-length", Archive(parts.header, blocks, parts.index, parts.footer).join()
        # a block that claims 100 M bases but holds a few: the decoder must give up quickly
        blocks = parts.blocks[:]
        blocks[k] = claim_more_bases(block, 100_000_000)
        yield "claims-many-bases", Archive(parts.header, blocks, parts.index, parts.footer).join()


def claim_more_bases(block: bytes, n: int) -> bytes:
    """The block re-framed to claim ``n`` original bytes and ``n`` bases (CRCs left stale)."""
    pos = 12
    values = []
    for _ in range(4):
        v, pos = _read_uvarint(block, pos)
        values.append(v)
    out = bytearray(block[:12]) + _uvarint(n) + _uvarint(values[1]) + _uvarint(values[2]) + _uvarint(values[3])
    for _ in range(values[3]):
        name = block[pos + 1 : pos + 1 + block[pos]]
        out += block[pos : pos + 1 + block[pos]]
        pos += 1 + block[pos]
        raw, pos = _read_uvarint(block, pos)
        coded, pos = _read_uvarint(block, pos)
        out += _uvarint(n if name == b"bases" else raw) + _uvarint(coded)
    return bytes(out) + block[pos:]


@dataclass
class Report:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


def check_case(name: str, damaged: bytes, original: bytes, report: Report, time_limit: float) -> None:
    report.cases += 1
    report.by_kind[name] = report.by_kind.get(name, 0) + 1
    out = io.BytesIO()
    # CPU time, not wall time: a runaway decode burns CPU, while a fuzzing process starved by a
    # loaded machine (the first long runs were at nice 19 beside load 5-9) only loses wall time
    start = time.process_time()
    try:
        decompress_stream(io.BytesIO(damaged), out)
    except DnacompError:
        pass
    except Exception as exc:  # noqa: BLE001 - any other exception is exactly what we hunt
        report.failures.append(f"{name}: {type(exc).__name__}: {exc}")
    else:
        if out.getvalue() != original:
            report.failures.append(f"{name}: decoded to different bytes without an error")
    elapsed = time.process_time() - start
    if elapsed > time_limit:
        report.failures.append(f"{name}: took {elapsed:.1f} s of CPU")


def check_extract(name: str, damaged: bytes, original: bytes, report: Report, time_limit: float) -> None:
    """Random access to a damaged FASTA archive: every record is either fetched exactly (the
    residues the original holds) or refused with a DnacompError. Only for damage the CRCs are
    meant to catch (not resealed: a resealed index is the writer's word, checked by `test`)."""
    import tempfile

    from dnacomp.formats.records import RecordScanner, residues
    from dnacomp.reader import ArchiveReader

    report.cases += 1
    report.by_kind["extract"] = report.by_kind.get("extract", 0) + 1
    scanner = RecordScanner()
    scanner.feed(original)
    seq = residues(original).tobytes()
    expected, pos = {}, 0
    for r in scanner.records:
        pos += r.gap
        expected.setdefault(r.name, seq[pos : pos + r.length])
        pos += r.length
    start = time.process_time()
    with tempfile.NamedTemporaryFile(suffix=".dnac") as tmp:
        tmp.write(damaged)
        tmp.flush()
        try:
            with ArchiveReader(tmp.name) as reader:
                for record in reader.records():
                    got = reader.fetch_bytes(record.entry.name)
                    if record.entry.name in expected and got != expected[record.entry.name]:
                        report.failures.append(f"{name}/extract: record {record.name} differs without an error")
        except DnacompError:
            pass
        except Exception as exc:  # noqa: BLE001
            report.failures.append(f"{name}/extract: {type(exc).__name__}: {exc}")
    if time.process_time() - start > time_limit:
        report.failures.append(f"{name}/extract: took too long")


def fuzz(seconds: float = 10.0, max_cases: int | None = None, seed: int = 1, time_limit: float = 5.0) -> Report:
    rnd = random.Random(seed)
    seeds = [(data, make_archive(data, chunk_size=rnd.choice([32, 64, 1 << 20]))) for data in SEED_FILES.values()]
    # GRU archives (format version 3): damage must also reach the GRU's decoder
    seeds += [(SEED_FILES[name], make_archive(SEED_FILES[name], chunk_size=64, model="gru")) for name in GRU_SEEDS]
    report = Report()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (max_cases is None or report.cases < max_cases):
        original, archive = rnd.choice(seeds)
        for name, damaged in mutations(archive, rnd, rnd.choice(seeds)[1]):
            if damaged == archive:
                continue
            check_case(name, damaged, original, report, time_limit)
            check_case(name + "+resealed", reseal(damaged), original, report, time_limit)
            if original.startswith(b">"):
                check_extract(name, damaged, original, report, time_limit)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-gb", type=float, default=4, help="address-space limit for this process")
    args = parser.parse_args()
    import resource

    limit = int(args.memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    start = time.monotonic()
    report = fuzz(args.seconds, args.cases, args.seed)
    took = time.monotonic() - start
    print(f"{report.cases} fuzzed archives in {took:.0f} s, {len(report.failures)} failures")
    for kind, count in sorted(report.by_kind.items()):
        print(f"  {kind:<28}{count}")
    for failure in report.failures[:50]:
        print("FAIL", failure)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
