"""Hostile inputs to the compressor: a clear one-line message naming the file (and line/record),
exit 1, no output file or temporary left behind, and the input untouched."""
import errno
import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

import dnacomp
from dnacomp.cli import main


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


@pytest.mark.parametrize("name,content,expected", [
    ("binary.fa", bytes(range(256)) * 4, ()),
    ("nul.fa", b">r1\nACGT\nAC\x00GT\n", ("line 3",)),
    ("mismatch.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGTA\n+\nIII\n", ("record 2", "line 8")),
    ("noplus.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGT\nIIII\n@r3\nA\n+\nI\n", ("record 2", "line 7")),
    ("truncated.fq", b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n", ("record 2",)),
    ("bad-gzip.fa.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 40, ("gzip",)),
    ("truncated.fa.gz", gzip.compress(b">r\nACGTTGCA\n" * 5000)[:-40], ("truncated gzip",)),
])
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
        res = subprocess.run([sys.executable, "-m", "dnacomp", "compress", "-1", "-c", str(path)],
                             stdout=full, stderr=subprocess.PIPE, timeout=120)
    err = res.stderr.decode()
    assert res.returncode == 1 and "No space left" in err and "Traceback" not in err
    assert path.exists()


def test_sigint_mid_run_leaves_nothing(tmp_path):
    path = tmp_path / "big.fa"
    acgt = bytes(b"ACGT"[b & 3] for b in range(256))
    seq = os.urandom(24_000_000).translate(acgt)
    path.write_bytes(b">big\n" + b"\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + b"\n")  # 4 blocks
    before = digest(path)
    proc = subprocess.Popen([sys.executable, "-m", "dnacomp", "compress", "-1", str(path)],
                            stderr=subprocess.PIPE)

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
