"""CLI behaviour users rely on: gzip habits, no clobbering, one-line errors, no partial output."""

import gzip
import os
import subprocess
import sys

import pytest

from dnacomp.cli import main

FASTA = b">chr1 test\nACGTACGTNNNNacgtacgtRYKM\nACGTAC\n>chr2\n" + b"ACGTTGCA" * 200 + b"\n"
FASTQ = b"@r1 x\nACGTN\n+\nIIII#\n@r2 y\nTTGCA\n+r2 y\nHHHHH\n"


def run_cli(*args, stdin: bytes | None = None):
    """The real entry point in a child process: exit codes, stdout/stderr as users see them."""
    return subprocess.run([sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, timeout=300)


@pytest.fixture
def fasta(tmp_path):
    p = tmp_path / "x.fa"
    p.write_bytes(FASTA)
    return p


def test_compress_then_decompress_restores_and_removes_inputs_like_gzip(fasta):
    assert main(["compress", "-q", "-1", str(fasta)]) == 0
    archive = fasta.with_name("x.fa.dnac")
    assert archive.exists() and not fasta.exists()
    assert main(["decompress", "-q", str(archive)]) == 0
    assert fasta.read_bytes() == FASTA and not archive.exists()


def test_keep_leaves_input(fasta):
    assert main(["compress", "-q", "-k", "-1", str(fasta)]) == 0
    assert fasta.read_bytes() == FASTA


def test_refuses_to_clobber_without_force(fasta, capsys):
    archive = fasta.with_name("x.fa.dnac")
    archive.write_bytes(b"precious")
    assert main(["compress", "-q", "-k", "-1", str(fasta)]) == 1
    assert archive.read_bytes() == b"precious"
    assert "already exists" in capsys.readouterr().err
    assert main(["compress", "-q", "-k", "-f", "-1", str(fasta)]) == 0
    assert archive.read_bytes() != b"precious"


def test_output_option_and_gzipped_input(tmp_path):
    gz = tmp_path / "y.fa.gz"
    gz.write_bytes(gzip.compress(FASTA))
    out = tmp_path / "custom.dnac"
    assert main(["compress", "-q", "-k", "-2", "-o", str(out), str(gz)]) == 0
    restored = tmp_path / "restored.fa"
    assert main(["decompress", "-q", "-k", "-o", str(restored), str(out)]) == 0
    assert restored.read_bytes() == FASTA


def test_default_name_of_gzipped_input_drops_gz(tmp_path):
    gz = tmp_path / "y.fa.gz"
    gz.write_bytes(gzip.compress(FASTA))
    assert main(["compress", "-q", "-k", "-1", str(gz)]) == 0
    assert (tmp_path / "y.fa.dnac").exists()


def test_stdin_to_stdout_and_back():
    comp = run_cli("compress", "-1", "-", stdin=FASTQ)
    assert comp.returncode == 0, comp.stderr
    assert comp.stdout[:5] == b"\x89DNAC"
    dec = run_cli("decompress", "-c", "-", stdin=comp.stdout)
    assert dec.returncode == 0, dec.stderr
    assert dec.stdout == FASTQ


def test_stdout_flag_keeps_input(fasta):
    res = run_cli("compress", "-c", "-1", str(fasta))
    assert res.returncode == 0 and fasta.exists()
    assert run_cli("decompress", "-c", "-", stdin=res.stdout).stdout == FASTA


def test_missing_file_is_one_line_exit_1(tmp_path):
    res = run_cli("compress", str(tmp_path / "nope.fa"))
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "nope.fa" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_garbage_input_is_rejected_without_output(tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_bytes(b"\x00\x01\x02 this is not a genome \xff" * 10)
    res = run_cli("compress", "-k", str(bad))
    assert res.returncode == 1
    assert "bad.fa" in res.stderr.decode() and "Traceback" not in res.stderr.decode()
    assert sorted(os.listdir(tmp_path)) == ["bad.fa"]


def test_malformed_fastq_names_record_and_line(tmp_path):
    bad = tmp_path / "bad.fq"
    bad.write_bytes(FASTQ + b"@r3\nACGT\n+\nII\n")
    res = run_cli("compress", "-k", str(bad))
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "bad.fq" in err and "line 12" in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["bad.fq"]


def test_truncated_archive_fails_and_writes_nothing(fasta, tmp_path):
    assert main(["compress", "-q", "-1", str(fasta)]) == 0
    archive = fasta.with_name("x.fa.dnac")
    data = archive.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 20):
        archive.write_bytes(data[:cut])
        res = run_cli("decompress", str(archive))
        assert res.returncode == 1, cut
        assert "Traceback" not in res.stderr.decode()
        assert not fasta.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dnacomp-")] == []


def test_test_command_and_info(fasta, capsys):
    assert main(["compress", "-q", "-k", "-1", str(fasta)]) == 0
    archive = str(fasta.with_name("x.fa.dnac"))
    assert main(["test", archive]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["info", archive]) == 0
    out = capsys.readouterr().out
    assert "bases" in out and "bits/base" in out and "level 1" in out


def test_info_on_reads_shows_names_bases_and_qualities_in_their_units(tmp_path, capsys):
    fq = tmp_path / "r.fq"
    fq.write_bytes(
        b"".join(b"@HWI-ST745:1:1101:%d:77#0/1\nACGTNACGTA\n+\nIIII#IIHHG\n" % (1000 + i) for i in range(50))
    )
    assert main(["compress", "-q", "-k", str(fq)]) == 0
    assert main(["info", str(fq) + ".dnac"]) == 0
    out = capsys.readouterr().out
    assert "level 5 (default: orders 2-16" in out  # the FASTQ level table
    summary = next(line for line in out.splitlines() if line.strip().startswith("reads:"))
    assert "bits/read" in summary and "bits/base" in summary and "bits/quality" in summary
    assert "quality-cm" in out and "names" in out


def test_decompress_needs_known_suffix(tmp_path, capsys):
    p = tmp_path / "thing.bin"
    p.write_bytes(b"x")
    assert main(["decompress", str(p)]) == 1
    assert "unknown suffix" in capsys.readouterr().err


def test_usage_error_exits_2():
    res = run_cli("compress", "--level", "12", "x.fa")
    assert res.returncode == 2


def test_help_teaches():
    res = run_cli("--help")
    assert res.returncode == 0
    text = res.stdout.decode()
    assert "dnacomp compress chr1.fa" in text and "decompress" in text and "info" in text


def test_model_gru_round_trips_and_info_names_it(fasta, capsys):
    assert main(["compress", "-q", "-k", "-1", "--model", "gru", str(fasta)]) == 0
    archive = str(fasta.with_name("x.fa.dnac"))
    assert main(["info", archive]) == 0
    out = capsys.readouterr().out
    assert "model cm+GRU" in out and "GRU as the mixer" in out
    res = run_cli("decompress", "-c", "-q", archive)
    assert res.returncode == 0 and res.stdout == FASTA
    assert run_cli("compress", "--model", "lstm", "-c", str(fasta)).returncode == 2


def test_info_names_the_repeat_model_of_a_version_4_archive(capsys):
    from paths import GOLDEN

    assert main(["info", str(GOLDEN / "lambda_virus.fa.v4.L5.dnac")]) == 0
    out = capsys.readouterr().out
    assert "repeat model (12 candidates from 12-mers, 2 recent copies each)" in out
    assert main(["info", str(GOLDEN / "lambda_virus.fa.v2.L5.dnac")]) == 0
    out = capsys.readouterr().out
    # level 5 has the repeat model now; this archive's level 5 did not, and info says so
    assert "level 5 (as an earlier dnacomp defined it" in out
    assert "repeat model" not in out.split("base model:")[1]
