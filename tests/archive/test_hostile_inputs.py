"""Hostile inputs to the compressor: a clear one-line message naming the file (and line/record),
exit 1, no output file or temporary left behind, and the input untouched. Hostile archives (valid
CRCs, hostile contents) to the decoder and to `info`: one ArchiveError, never another exception."""

import errno
import functools
import gzip
import hashlib
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zlib

import pytest

import dnacomp
from dnacomp.cli import main
from dnacomp.container import Footer
from dnacomp.errors import ArchiveError


def run_cli(*args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, timeout=timeout)


def assert_clean_failure(res, path, *expected):
    err = res.stderr.decode()
    assert res.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert str(path.name) in err
    for text in expected:
        assert text in err, err


def leftovers(directory, keep):
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("binary.fa", bytes(range(256)) * 4, ()),
        ("nul.fa", b">r1\nACGT\nAC\x00GT\n", ("line 3",)),
        ("mismatch.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGTA\n+\nIII\n", ("record 2", "line 8")),
        ("noplus.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGT\nIIII\n@r3\nA\n+\nI\n", ("record 2", "line 7")),
        ("truncated.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n", ("record 2",)),
        ("bad-gzip.fa.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 40, ("gzip",)),
        ("truncated.fa.gz", gzip.compress(b">r\nACGTTGCA\n" * 5000)[:-40], ("truncated gzip",)),
    ],
)
def test_malformed_input_is_refused_cleanly(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    before = digest(path)
    res = run_cli("compress", "-1", str(path))
    assert_clean_failure(res, path, *expected)
    assert leftovers(tmp_path, {name}) == []
    assert digest(path) == before


def test_header_only_and_empty_files_are_valid_and_round_trip():
    for data in (b">", b">\n", b"", b"\n\n"):
        assert dnacomp.decompress_bytes(dnacomp.compress_bytes(data, level=1)) == data


def test_directory_is_refused(tmp_path):
    res = run_cli("compress", str(tmp_path))
    assert res.returncode == 1 and "is a directory" in res.stderr.decode()


def test_unreadable_file_is_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "secret.fa"
    path.write_bytes(b">x\nACGT\n")
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    assert main(["compress", "-q", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"dnacomp: {path}: Permission denied"
    assert leftovers(tmp_path, {"secret.fa"}) == []


def test_full_disk_leaves_no_partial_output(tmp_path, monkeypatch, capsys):
    path = tmp_path / "x.fa"
    path.write_bytes(b">x\n" + b"ACGTTGCA" * 5000 + b"\n")
    before = digest(path)
    import dnacomp.archive as archive

    real = archive.write_block

    def enospc(out, block):
        real(out, block)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive, "write_block", enospc)
    assert main(["compress", "-q", "-1", str(path)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert leftovers(tmp_path, {"x.fa"}) == []
    assert digest(path) == before


def test_full_disk_on_stdout_is_one_line(tmp_path):
    path = tmp_path / "x.fa"
    path.write_bytes(b">x\n" + b"ACGTTGCA" * 5000 + b"\n")
    with open("/dev/full", "wb") as full:
        res = subprocess.run(
            [sys.executable, "-m", "dnacomp", "compress", "-1", "-c", str(path)],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    err = res.stderr.decode()
    assert res.returncode == 1 and "No space left" in err and "Traceback" not in err
    assert path.exists()


@pytest.mark.slow
def test_sigint_mid_run_leaves_nothing(tmp_path):
    path = tmp_path / "big.fa"
    acgt = bytes(b"ACGT"[b & 3] for b in range(256))
    seq = os.urandom(24_000_000).translate(acgt)
    path.write_bytes(b">big\n" + b"\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + b"\n")
    before = digest(path)
    # 6 segments (by default a 24 MB file is one): the first is written while the others code
    command = [sys.executable, "-m", "dnacomp", "compress", "-1", "--segment-size", "4M", str(path)]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE)

    def temp_size():
        return sum(p.stat().st_size for p in tmp_path.iterdir() if p.name.startswith(".dnacomp-"))

    # interrupt once the first block is written: coding is under way (a SIGINT that lands while
    # numba is still compiling or loading the kernel, inside a ctypes callback, can be lost)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and temp_size() < 100_000 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert leftovers(tmp_path, {"big.fa"}) == []
    assert digest(path) == before


@pytest.mark.slow
def test_a_100_mb_line_is_handled(tmp_path):
    """One sequence line of 100 MB (unwrapped assemblies exist): chunks grow to the line."""
    path = tmp_path / "oneline.fa"
    with open(path, "wb") as f:
        f.write(b">contig1 unwrapped\n")
        f.write(b"ACGTTGCAAGGT" * 100_000)  # 1.2 MB of bases, then 98.8 MB of N
        f.write(b"N" * (100_000_000 - 1_200_000))
        f.write(b"\n")
    before = digest(path)
    archive = tmp_path / "oneline.fa.dnac"
    res = run_cli("compress", "-1", "-k", str(path))
    assert res.returncode == 0, res.stderr.decode()
    assert archive.stat().st_size < 100_000
    restored = tmp_path / "restored.fa"
    res = run_cli("decompress", "-o", str(restored), str(archive))
    assert res.returncode == 0, res.stderr.decode()
    assert digest(restored) == before == digest(path)


@pytest.mark.slow
def test_a_fastq_read_over_64_mbp_round_trips():
    """Issue 12 item 6: one read of 2^26 + 1 bases (ultra-long nanopore reads exist), so one block
    of 128 MiB built by growing the chunk 16 times. Mostly N with constant qualities, so that the
    test stays fast: a megabase of real bases goes through the base model, the rest are exception
    runs (the quality codec on long reads: tests/test_quality_codec.py)."""
    from dnacomp.archive import compress_stream, decompress_stream

    n = (1 << 26) + 1
    bases = b"ACGTTGCAAGGTCCAT" * (1 << 16)
    read = bases + b"N" * (n - 2 * len(bases)) + bases
    data = b"@ultra-long 1\n" + read + b"\n+\n" + b"I" * n + b"\n@short 2\nACGT\n+\nII#I\n"
    del read
    packed = io.BytesIO()
    stats = compress_stream(io.BytesIO(data), packed, level=1)
    assert (stats.n_blocks, stats.n_records, stats.n_bases) == (1, 2, 2 * len(bases) + 4)
    assert len(packed.getvalue()) < 100_000
    restored = io.BytesIO()
    decompress_stream(io.BytesIO(packed.getvalue()), restored)
    assert restored.getvalue() == data


# --- hostile archives: metadata with a valid CRC, footers that disagree with their blocks -------

HOSTILE = "@@hostile@@"


@functools.lru_cache(maxsize=1)
def _small_archive() -> bytes:
    from fuzzing import SEED_FILES, make_archive

    return make_archive(SEED_FILES["fasta"], level=1, chunk_size=64)  # several blocks


def _split(archive: bytes):
    """Header bytes, blocks, index section and footer, read with the container's own reader
    (CRCs checked)."""
    from dnacomp.container import IndexSection, read_block_or_footer, read_header

    f = io.BytesIO(archive)
    version, _ = read_header(f)
    header, blocks, index = archive[: f.tell()], [], None
    while not isinstance(item := read_block_or_footer(f, len(blocks), None, version), Footer):
        if isinstance(item, IndexSection):
            index = item
        else:
            blocks.append(item)
    return header, blocks, (version, index, item)


def _join(header: bytes, blocks, end) -> bytes:
    """The archive of these parts; the index section (version 5) is kept as it was."""
    from dnacomp.container import write_block, write_footer, write_index

    version, index, footer = end
    out = io.BytesIO()
    out.write(header)
    for block in blocks:
        write_block(out, block)
    if index is not None:
        write_index(out, index.packed)
    write_footer(out, footer, version)
    return out.getvalue()


def _with_meta(archive: bytes, path: tuple, literal: str | None) -> bytes:
    """The archive with one metadata field set to a raw JSON literal (None: removed), and a
    header CRC that matches, so that only the metadata checks can refuse it."""
    from dnacomp.container import MAGIC

    meta_len = struct.unpack_from("<I", archive, len(MAGIC) + 2)[0]
    meta = json.loads(zlib.decompressobj(-15).decompress(archive[len(MAGIC) + 6 : len(MAGIC) + 6 + meta_len]))
    node = meta
    for key in path[:-1]:
        node = node[key]
    if literal is None:
        del node[path[-1]]
    else:
        node[path[-1]] = HOSTILE
    text = json.dumps(meta).replace(json.dumps(HOSTILE), literal or "")
    packed = zlib.compress(text.encode(), 9)[2:-4]
    body = archive[len(MAGIC) : len(MAGIC) + 2] + struct.pack("<I", len(packed)) + packed
    return MAGIC + body + struct.pack("<I", zlib.crc32(body)) + archive[len(MAGIC) + 6 + meta_len + 4 :]


HOSTILE_META = [  # id, field, JSON literal, what the message must say
    ("Infinity", ("base_model", "hash_bits"), "Infinity", "holds Infinity"),
    ("-Infinity-level", ("level",), "-Infinity", "holds -Infinity"),
    ("NaN", ("base_model", "mixer_lr"), "NaN", "holds NaN"),
    ("NaN-in-an-unread-field", ("writer",), "NaN", "holds NaN"),
    ("Infinity-in-an-unknown-field", ("comment",), "[Infinity]", "holds Infinity"),
    ("1e999", ("base_model", "ring_bits"), "1e999", "1e999, which is out of range"),
    ("1e999-level", ("level",), "1e999", "1e999, which is out of range"),
    ("100k-deep", ("comment",), "[" * 100_000 + "]" * 100_000, "too large"),
    ("20k-deep", ("base_model", "orders"), "[" * 20_000 + "]" * 20_000, "deeper than"),
    ("5000-digit-int", ("base_model", "hash_bits"), "9" * 5000, "an integer of 5000 digits"),
    ("4000-digit-int", ("level",), "-" + "9" * 4000, "an integer of 4000 digits"),
    ("19-digit-int", ("base_model", "hash_bits"), "9" * 19, "hash_bits 9999999999999999999 is out of range"),
    ("string-for-int", ("base_model", "hash_bits"), '"22"', "base_model.hash_bits must be an integer, not a string"),
    ("string-level", ("level",), '"5"', "level must be an integer, not a string"),
    ("float-for-int", ("base_model", "match_min"), "16.0", "base_model.match_min must be an integer, not a float"),
    ("bool-for-int", ("base_model", "hash_bits"), "true", "base_model.hash_bits must be an integer, not true/false"),
    ("array-for-int", ("base_model", "match_bits"), "[20]", "base_model.match_bits must be an integer, not an array"),
    ("null-for-int", ("base_model", "dp_limit"), "null", "base_model.dp_limit must be an integer, not null"),
    ("negative-table-size", ("base_model", "hash_bits"), "-5", "hash_bits -5 is out of range 10..28"),
    ("negative-rate", ("base_model", "dp_limit"), "-1", "dp_limit -1 is out of range 1..1023"),
    ("negative-level", ("level",), "-1", "level -1 is out of range"),
    ("string-in-an-order-list", ("base_model", "dp_orders"), '[3, "8"]', "base_model.dp_orders[1] must be an integer"),
    ("float-in-an-order-list", ("base_model", "dp_orders"), "[3, 8.5]", "base_model.dp_orders[1] must be an integer"),
    ("ir-flag-2", ("base_model", "dp_ir"), "[0, 2]", "base_model.dp_ir[1] must be 0 or 1, not an integer 2"),
    ("object-for-a-list", ("base_model", "dp_orders"), "{}", "base_model.dp_orders must be an array, not an object"),
    ("kind-array", ("kind",), '["fasta"]', "kind must be a string, not an array"),
    ("kind-missing", ("kind",), None, "no content kind"),
    ("base-model-array", ("base_model",), "[]", "base_model must be an object, not an array"),
    ("base-model-missing", ("base_model",), None, "no base-model parameters"),
    ("unknown-parameter", ("base_model", "hash_bitz"), "22", "unknown base-model parameter 'hash_bitz'"),
    ("missing-parameter", ("base_model", "dp_limit"), None, "base_model lacks 'dp_limit'"),
    ("writer-number", ("writer",), "7", "writer must be a string, not an integer"),
    ("duplicate-key", ("level",), '1, "level": 9', "repeats the key 'level'"),
]


@pytest.mark.parametrize("path,literal,message", [c[1:] for c in HOSTILE_META], ids=[c[0] for c in HOSTILE_META])
@pytest.mark.parametrize("reader", ["decompress_stream", "inspect_stream"])
def test_hostile_metadata_with_a_valid_crc_is_one_archive_error(reader, path, literal, message):
    """Every field is checked by type and range before use: nothing but an ArchiveError (no
    OverflowError, RecursionError, ValueError), whose message says which field and what is wrong."""
    from dnacomp import archive

    data = _with_meta(_small_archive(), path, literal)
    args = (io.BytesIO(),) if reader == "decompress_stream" else ()
    with pytest.raises(ArchiveError) as caught:
        getattr(archive, reader)(io.BytesIO(data), *args)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def _drop_bases_stream(blocks):
    blocks[0].streams = {k: v for k, v in blocks[0].streams.items() if k != "bases"}


def _more_bases_than_bytes(blocks):
    n_bases, coded = blocks[0].streams["bases"]
    blocks[0].streams["bases"] = (blocks[0].raw_len + 1, coded)


MISMATCHES = [  # id, what happens to the blocks, to the footer, what the message must say
    ("all-blocks-removed", lambda b: b.clear(), None, "it lists {n} block(s), the archive holds 0"),
    ("last-block-removed", lambda b: b.pop(), None, "it lists {n} block(s), the archive holds {n_1}"),
    ("first-block-removed", lambda b: b.pop(0), None, "found block 1 where 0 belongs"),
    (
        "footer-lists-one-more-block",
        None,
        lambda f: setattr(f, "n_blocks", f.n_blocks + 1),
        "it lists {n_p1} block(s), the archive holds {n}",
    ),
    (
        "footer-total-length",
        None,
        lambda f: setattr(f, "total_len", f.total_len + 1),
        "original bytes, the blocks hold",
    ),
    ("block-without-its-base-stream", _drop_bases_stream, None, "block 0 (no base stream)"),
    ("block-with-more-bases-than-bytes", _more_bases_than_bytes, None, "block 0 (more bases than bytes)"),
    # version 5: the index and the footer's sizes, each with valid CRCs
    ("footer-index-size", None, lambda f: setattr(f, "index_len", f.index_len + 1), "index or archive size"),
    ("footer-archive-size", None, lambda f: setattr(f, "member_len", f.member_len - 1), "index or archive size"),
    (
        "two-blocks-swapped-in-content",
        lambda b: _swap_payloads(b),
        None,
        "corrupt index (it does not describe the segments it follows)",
    ),
]


def _swap_payloads(blocks):
    """Blocks 0 and 1 trade contents (each keeps its number): every CRC is valid, the framing is
    in order, only the index can tell."""
    a, b = blocks[0], blocks[1]
    a.streams, b.streams = b.streams, a.streams
    for name in ("raw_len", "raw_crc", "n_symbols", "n_records"):
        va, vb = getattr(a, name), getattr(b, name)
        setattr(a, name, vb)
        setattr(b, name, va)


@pytest.mark.parametrize("edit_blocks,edit_footer,message", [c[1:] for c in MISMATCHES], ids=[c[0] for c in MISMATCHES])
def test_info_checks_the_footer_against_the_blocks(edit_blocks, edit_footer, message):
    """`info` makes every check of `test` that needs no decoding: an archive that `test` refuses
    for its structure, `info` refuses too, with the same message, instead of reporting it."""
    from dnacomp.archive import decompress_stream, inspect_stream

    header, blocks, end = _split(_small_archive())
    footer = end[2]
    n = len(blocks)
    assert n >= 2
    (edit_blocks or (lambda b: None))(blocks)
    (edit_footer or (lambda f: None))(footer)
    damaged = _join(header, blocks, end)  # every CRC valid
    expected = message.format(n=n, n_1=n - 1, n_p1=n + 1)
    with pytest.raises(ArchiveError, match=re.escape(expected)) as by_info:
        inspect_stream(io.BytesIO(damaged))
    with pytest.raises(ArchiveError) as by_test:
        decompress_stream(io.BytesIO(damaged), None)
    assert str(by_info.value) == str(by_test.value)


def test_info_still_reports_an_intact_archive():
    from dnacomp.archive import inspect_stream

    header, blocks, end = _split(_small_archive())
    footer = end[2]
    stats = inspect_stream(io.BytesIO(_join(header, blocks, end)))
    assert (stats.n_blocks, stats.input_bytes) == (len(blocks), footer.total_len)


@pytest.mark.parametrize("damage", ["blocks-removed", "Infinity-in-the-header"])
def test_the_cli_refuses_a_hostile_archive_in_one_line(tmp_path, damage):
    header, blocks, end = _split(_small_archive())
    data = (
        _join(header, [], end)
        if damage == "blocks-removed"
        else _with_meta(_small_archive(), ("base_model", "hash_bits"), "Infinity")
    )
    path = tmp_path / "bad.dnac"
    path.write_bytes(data)
    res = run_cli("info", str(path), timeout=120)
    err = res.stderr.decode()
    assert res.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("dnacomp: ") and ("footer" in err if damage == "blocks-removed" else "Infinity" in err)
    assert res.stdout == b""
