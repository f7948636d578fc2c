"""The shell around the codecs (issue 12): each test reproduces one way a run used to lose data or
surprise a user, with the real CLI in a child process."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import REPO

import dnacomp
from dnacomp.fileio import write_fully

LAMBDA = (REPO / "reference" / "lambda_virus.fa").read_bytes()


def dnacomp_cli(*args, cwd, env=None, limit_file_size=None, **kwargs):
    def limit():
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    full_env = {**os.environ, **(env or {})}
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "dnacomp", *args],
        cwd=cwd,
        env=full_env,
        stderr=subprocess.PIPE,
        timeout=120,
        preexec_fn=limit,
        **kwargs,
    )


def one_line_error(res) -> str:
    err = res.stderr.decode()
    assert res.returncode == 1, (res.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".dnacomp-")]


@pytest.fixture
def lam(tmp_path) -> Path:
    path = tmp_path / "lambda.fa"
    path.write_bytes(LAMBDA)
    return path


@pytest.fixture
def lam_archive(tmp_path) -> Path:
    path = tmp_path / "lambda.fa.dnac"
    path.write_bytes(dnacomp.compress_bytes(LAMBDA, level=1))
    return path


# --- 1. short writes --------------------------------------------------------------------------


class Trickle:
    """A raw writer that takes at most 7 bytes per call, as a pipe or a filling disk may."""

    def __init__(self):
        self.data = bytearray()

    def write(self, b) -> int:
        chunk = bytes(b[:7])
        self.data += chunk
        return len(chunk)


def test_write_fully_loops_over_short_writes():
    sink = Trickle()
    write_fully(sink, b"x" * 1000 + b"end")
    assert bytes(sink.data) == b"x" * 1000 + b"end"


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_unbuffered_stdout_on_a_full_disk_fails_instead_of_truncating(tmp_path, lam, lam_archive, command):
    source = lam if command == "compress" else lam_archive
    with open(tmp_path / "out", "wb") as out:
        res = dnacomp_cli(
            command,
            "-q",
            "-k",
            "-c",
            source.name,
            cwd=tmp_path,
            env={"PYTHONUNBUFFERED": "1"},
            limit_file_size=4096,
            stdout=out,
        )
    assert "<stdout>" in one_line_error(res)
    assert source.exists()


def test_full_disk_on_file_output_keeps_the_input_and_leaves_nothing(tmp_path, lam):
    res = dnacomp_cli("compress", "-q", "-1", lam.name, cwd=tmp_path, limit_file_size=4096)
    assert "lambda.fa.dnac" in one_line_error(res)
    assert lam.read_bytes() == LAMBDA and sorted(os.listdir(tmp_path)) == ["lambda.fa"]


def test_a_reader_that_leaves_ends_the_run_by_sigpipe_not_exit_0(tmp_path):
    """`dnacomp decompress -c x | head -c1` with unbuffered stdout: not a silent success. The
    restored data is larger than a pipe's buffer, so the one write of it is cut short when the
    reader leaves; that short count used to be ignored (exit 0)."""
    (tmp_path / "big.dnac").write_bytes(dnacomp.compress_bytes(LAMBDA * 4, level=1))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnacomp", "decompress", "-c", "big.dnac"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout.read(1) == b">"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(60) == -signal.SIGPIPE
    assert err == b""


# --- 2. input == output ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same-name", "hard-link", "symlink"])
def test_output_that_is_the_input_is_refused(tmp_path, lam, how):
    out = {"same-name": lam, "hard-link": tmp_path / "h.dnac", "symlink": tmp_path / "s.dnac"}[how]
    if how == "hard-link":
        os.link(lam, out)
    elif how == "symlink":
        os.symlink(lam.name, out)
    res = dnacomp_cli("compress", "-q", "-f", "-o", out.name, lam.name, cwd=tmp_path)
    assert "same file" in one_line_error(res)
    assert lam.read_bytes() == LAMBDA and not temporaries(tmp_path)


def test_decompress_onto_its_own_archive_is_refused(tmp_path, lam_archive):
    before = lam_archive.read_bytes()
    res = dnacomp_cli("decompress", "-q", "-f", "-o", lam_archive.name, lam_archive.name, cwd=tmp_path)
    assert "same file" in one_line_error(res)
    assert lam_archive.read_bytes() == before


def test_stdout_appending_to_the_input_is_refused(tmp_path, lam):
    with open(lam, "ab") as out:
        res = dnacomp_cli("compress", "-q", "-c", lam.name, cwd=tmp_path, stdout=out)
    assert "standard output is the input" in one_line_error(res)
    assert lam.read_bytes() == LAMBDA


def test_the_python_api_refuses_it_too(lam):
    with pytest.raises(dnacomp.DnacompError, match="same file"):
        dnacomp.compress_file(str(lam), str(lam), force=True)
    assert lam.read_bytes() == LAMBDA


# --- 3. two inputs, one output ---------------------------------------------------------------


def test_two_inputs_mapping_to_one_output_are_refused_before_anything_happens(tmp_path, lam):
    import gzip

    gz = tmp_path / "lambda.fa.gz"
    gz.write_bytes(gzip.compress(LAMBDA))
    res = dnacomp_cli("compress", "-q", "-f", gz.name, lam.name, cwd=tmp_path)
    assert "output of both" in one_line_error(res)
    assert sorted(os.listdir(tmp_path)) == ["lambda.fa", "lambda.fa.gz"]


def test_an_output_that_is_another_input_is_refused(tmp_path, lam, lam_archive):
    """`compress -f lambda.fa lambda.fa.dnac`: the first archive would replace the second input."""
    before = lam_archive.read_bytes()
    res = dnacomp_cli("compress", "-q", "-f", lam.name, lam_archive.name, cwd=tmp_path)
    assert res.returncode == 1 and b"same file" in res.stderr
    assert lam.read_bytes() == LAMBDA and lam_archive.read_bytes() == before


# --- 4. non-regular inputs ---------------------------------------------------------------------


def test_a_symlink_is_not_followed_without_k_or_f_and_f_removes_only_the_link(tmp_path, lam):
    link = tmp_path / "link.fa"
    os.symlink(lam.name, link)
    assert "symbolic link" in one_line_error(dnacomp_cli("compress", "-q", link.name, cwd=tmp_path))
    assert link.is_symlink()
    res = dnacomp_cli("compress", "-q", "-f", "-1", link.name, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not os.path.lexists(link) and lam.read_bytes() == LAMBDA
    assert dnacomp.decompress_bytes((tmp_path / "link.fa.dnac").read_bytes()) == LAMBDA


def test_a_fifo_is_refused_without_f_at_once_and_never_removed(tmp_path):
    fifo = tmp_path / "pipe.fa"
    os.mkfifo(fifo)
    assert "FIFO" in one_line_error(dnacomp_cli("compress", "-q", fifo.name, cwd=tmp_path))  # no hang
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnacomp", "compress", "-q", "-f", "-1", fifo.name], cwd=tmp_path, stderr=subprocess.PIPE
    )
    with open(fifo, "wb") as writer:
        writer.write(LAMBDA)
    assert proc.wait(120) == 0, proc.stderr.read()
    assert fifo.is_fifo()
    assert dnacomp.decompress_bytes((tmp_path / "pipe.fa.dnac").read_bytes()) == LAMBDA


@pytest.fixture
def null_device(tmp_path) -> Path:
    """A character device of our own (a /dev/null twin made with mknod): a defect that unlinks or
    replaces a device destroys this one, never the machine's /dev/null."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("creating a character device needs root")
    return path


def test_a_character_device_is_refused_and_never_removed(tmp_path, null_device):
    res = dnacomp_cli("compress", "-q", "-o", "null.dnac", null_device.name, cwd=tmp_path)
    assert "character device" in one_line_error(res)
    res = dnacomp_cli("compress", "-q", "-f", "-o", "null.dnac", null_device.name, cwd=tmp_path)
    assert null_device.is_char_device()
    assert "Traceback" not in res.stderr.decode()


def test_a_hard_linked_input_is_removed_only_with_f(tmp_path, lam):
    os.link(lam, tmp_path / "other.fa")
    assert "other link" in one_line_error(dnacomp_cli("compress", "-q", lam.name, cwd=tmp_path))
    assert dnacomp_cli("compress", "-q", "-k", "-1", lam.name, cwd=tmp_path).returncode == 0
    assert lam.exists()


def test_output_to_a_device_is_written_not_replaced(tmp_path, lam, null_device):
    mode = null_device.stat().st_mode
    res = dnacomp_cli("compress", "-q", "-k", "-1", "-o", null_device.name, lam.name, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert null_device.is_char_device() and null_device.stat().st_mode == mode


# --- 5. signals ------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_run_leaves_no_temporary_file(tmp_path, signum):
    big = tmp_path / "big.fa"
    big.write_bytes(LAMBDA * 200)  # ~20 s of coding at -9: the signal lands mid-run even on a loaded machine
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnacomp", "compress", "-q", "-9", big.name], cwd=tmp_path, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not temporaries(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert temporaries(tmp_path), "the run never started writing"
    proc.send_signal(signum)
    code = proc.wait(60)
    err = proc.stderr.read().decode()
    assert code == (130 if signum == signal.SIGINT else -signum), err
    assert "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["big.fa"] and big.stat().st_size == len(LAMBDA) * 200


# --- 9. broken pipes --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["info", "decompress"])
def test_broken_pipe_is_quiet_and_reported_by_sigpipe(tmp_path, lam_archive, command):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already left (| head)
    args = [command, lam_archive.name] if command == "info" else [command, "-c", lam_archive.name]
    proc = subprocess.run(
        [sys.executable, "-m", "dnacomp", *args], cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, timeout=120
    )
    os.close(write_end)
    assert proc.returncode == -signal.SIGPIPE and proc.stderr == b""
    assert lam_archive.exists()


# --- 10. errors name the file ------------------------------------------------------------------


def test_archive_errors_name_their_file(tmp_path, lam_archive):
    (tmp_path / "a.dnac").write_bytes(b"not an archive at all")
    (tmp_path / "b.dnac").write_bytes(lam_archive.read_bytes()[:100])
    for command in (["test"], ["info"], ["decompress", "-c"]):
        res = dnacomp_cli(*command, "a.dnac", "b.dnac", cwd=tmp_path)
        lines = res.stderr.decode().strip().splitlines()
        assert res.returncode == 1 and len(lines) == 2, (command, lines)
        assert lines[0].startswith("dnacomp: a.dnac: ") and lines[1].startswith("dnacomp: b.dnac: "), lines


# --- 13. small surprises -----------------------------------------------------------------------


def test_out_of_range_level_flags_say_what_levels_exist(tmp_path, lam):
    res = dnacomp_cli("compress", "-10", lam.name, cwd=tmp_path)
    assert res.returncode == 2 and b"levels are -1" in res.stderr and b"ignored explicit" not in res.stderr


def test_one_record_is_singular(tmp_path):
    (tmp_path / "one.dnac").write_bytes(dnacomp.compress_bytes(b">x\nACGT\n", level=1))
    out = dnacomp_cli("test", "one.dnac", cwd=tmp_path).stdout.decode()
    assert "1 record," in out and "1 records" not in out


def test_missing_output_directory_is_named(tmp_path, lam):
    res = dnacomp_cli("compress", "-q", "-k", "-o", "newdir/x.dnac", lam.name, cwd=tmp_path)
    err = one_line_error(res)
    assert "newdir" in err and "does not exist" in err and ".tmp" not in err


@pytest.mark.parametrize("command", ["compress", "decompress", "info", "test", "bench"])
def test_every_option_has_help_text(command):
    from dnacomp.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.option_strings and action.dest != "level" or action.dest in ("files", "file"):
            assert action.help, (command, action.option_strings or action.dest)


def test_a_signal_that_lands_where_python_cannot_raise_is_delivered_again():
    """A handler may run inside a finaliser or a numba cache callback; the exception is then
    'ignored' and the run would go on (with a traceback printed). It must still stop."""
    code = (
        "import gc, os, signal, time\n"
        "from dnacomp.signals import Terminated, terminate_by_unwinding\n"
        "class Finaliser:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM); [i for i in range(1000)]\n"
        "try:\n"
        "    with terminate_by_unwinding():\n"
        "        Finaliser(); gc.collect(); time.sleep(5); print('not stopped')\n"
        "except Terminated as stop:\n"
        "    print('stopped', stop.signum)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert res.stdout == f"stopped {int(signal.SIGTERM)}\n" and res.stderr == ""


def test_info_gives_bases_one_bits_per_base(tmp_path):
    """The table and the `reads:` line used different denominators (all symbols vs ACGT)."""
    reads = b"".join(b"@r%d\nACGTNNACGTAC\n+\nIIII##IIHHGG\n" % i for i in range(40))
    (tmp_path / "r.dnac").write_bytes(dnacomp.compress_bytes(reads, level=1))
    out = dnacomp_cli("info", "r.dnac", cwd=tmp_path).stdout.decode()
    table = next(line.split() for line in out.splitlines() if line.strip().startswith("bases "))
    summary = next(line for line in out.splitlines() if line.strip().startswith("reads:"))
    assert f"({table[3]} bits/base)" in summary, (table, summary)
    assert "bits per sequence symbol" in out


def test_concatenated_archives_restore_the_concatenation(tmp_path, lam):
    """`compress -c a b > ab.dnac` (gzip's members): decompress and test accept it, each part is
    verified, and garbage after the last archive is still an error."""
    (tmp_path / "b.fq").write_bytes(b"@r\nACGT\n+\nIIII\n")
    with open(tmp_path / "ab.dnac", "wb") as out:
        assert dnacomp_cli("compress", "-q", "-1", "-c", lam.name, "b.fq", cwd=tmp_path, stdout=out).returncode == 0
    res = dnacomp_cli("decompress", "-c", "ab.dnac", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout == LAMBDA + b"@r\nACGT\n+\nIIII\n"
    assert b"2 concatenated archives" in dnacomp_cli("info", "ab.dnac", cwd=tmp_path).stdout
    with open(tmp_path / "ab.dnac", "ab") as out:
        out.write(b"\x89DNA")
    assert "trailing data" in one_line_error(dnacomp_cli("test", "ab.dnac", cwd=tmp_path))
