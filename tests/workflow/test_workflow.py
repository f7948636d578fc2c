"""The Snakemake workflow really runs (not a dry run) on the tiny inputs of .test/, and its table
says what the files on disk say; it meets the workflow catalog's checks (snakefmt, --lint) and
builds its DAG without reading the inputs.

One run of `python -m snakemake` (the interpreter running the tests, so the dnacomp under test)
in a temporary copy of .test/: dnacomp -1, gzip -9 and NAF (absent here: "not available") on a
tiny FASTA and FASTQ, plus the batch part (tiny.fq -> .dnac, tiny.fa scattered per record and
gathered). Then every number of results/bits_per_base.tsv is checked against the archives' real
sizes and symbols counted here independently of dnacomp. The tests of that run are marked slow
(about 1.5 minutes on two busy cores). Skipped if snakemake is not installed.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO

TEST_DIR = REPO / ".test"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _symbols(path: Path) -> int:
    """Sequence symbols counted the plain way: FASTA sequence-line bytes, FASTQ read bases."""
    lines = path.read_bytes().splitlines()
    if lines[0].startswith(b"@"):
        return sum(len(line) for line in lines[1::4])
    return sum(len(line) for line in lines if not line.startswith(b">"))


def _dnacomp_restore(archive: Path) -> bytes:
    import dnacomp

    return dnacomp.decompress_bytes(archive.read_bytes())


def _snakemake(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], capture_output=True, text=True, timeout=timeout)


def test_snakefmt_check_is_clean():
    pytest.importorskip("snakefmt")
    proc = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_is_clean(tmp_path):
    pytest.importorskip("snakemake")
    shutil.copytree(TEST_DIR / "config", tmp_path / "config")
    shutil.copytree(TEST_DIR / "data", tmp_path / "data")
    proc = _snakemake("--lint", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), timeout=300)
    assert proc.returncode == 0 and "Congratulations" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_the_dag_is_built_without_reading_the_inputs(tmp_path):
    """A dry run succeeds on inputs that cannot be read as FASTA (not gzip data behind .gz): only
    the jobs (stats, batch_plan) read them, so the DAG is built from names and sizes alone."""
    pytest.importorskip("snakemake")
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.fa.gz").write_bytes(b"not gzip data\n" * 200)
    (data / "b.fq").write_bytes(b"\xff" * 4000)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "inputs: [data/a.fa.gz, data/b.fq]\npeer_dirs: []\ntools: {dnacomp: {levels: [1]}, gzip: {levels: [9]}}\n"
        "batch: {enabled: true, input_dir: data, scatter_min_bytes: 1000}\n"
    )
    proc = _snakemake(
        "-n", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "1", timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    for job in ("stats", "formats", "batch_plan"):
        assert job in out  # the reading happens in these jobs (the checkpoints), not at parse time


@pytest.fixture(scope="module")
def workflow_run(tmp_path_factory):
    pytest.importorskip("snakemake")
    pytest.importorskip("matplotlib")
    import dnacomp

    # compile (or load) dnacomp's kernels once here, so that the workflow's dnacomp jobs, two at a
    # time, find them in numba's cache instead of each compiling them
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(b">x\nACGTN\n", level=1)) == b">x\nACGTN\n"
    work = tmp_path_factory.mktemp("workflow")
    shutil.copytree(TEST_DIR / "config", work / "config")
    shutil.copytree(TEST_DIR / "data", work / "data")
    fakebin = work / "fakebin"  # an MFCompress that fails: the run must go on and say so
    fakebin.mkdir()
    for name in ("MFCompressC", "MFCompressD"):
        (fakebin / name).write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 3\n")
        (fakebin / name).chmod(0o755)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        "2",
        "--config",
        f"peer_dirs=['{fakebin}']",
        "--quiet",
        "rules",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


#: the tests that need the real run of the workflow (the fixture above)
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def table(workflow_run):
    with open(workflow_run / "results" / "bits_per_base.tsv") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@slow
def test_table_has_a_row_per_file_and_tool(table):
    assert [(r["file"], r["tool"], r["level"]) for r in table] == [
        ("tiny.fa", "dnacomp", "1"),
        ("tiny.fa", "dnacomp-gru", "1"),
        ("tiny.fa", "gzip", "9"),
        ("tiny.fa", "mfcompress", "3"),
        ("tiny.fa", "naf", "22"),
        ("tiny.fq", "dnacomp", "1"),
        ("tiny.fq", "dnacomp-gru", "1"),
        ("tiny.fq", "gzip", "9"),
    ]  # FASTA-only peers


@slow
def test_numbers_match_the_files_on_disk(workflow_run, table):
    for row in table:
        if row["exact"] in ("not available", "failed"):
            continue
        source = workflow_run / "data" / row["file"]
        archive = workflow_run / row["archive"]
        assert int(row["input_bytes"]) == source.stat().st_size
        assert int(row["symbols"]) == _symbols(source)
        assert int(row["archive_bytes"]) == archive.stat().st_size
        assert float(row["bits_per_base"]) == pytest.approx(8 * archive.stat().st_size / _symbols(source), abs=1e-4)
        assert row["exact"] == "yes"
        for step in ("compress", "decompress"):
            bench = workflow_run / "results" / "benchmarks" / row["file"] / f"{row['tool']}-{row['level']}.{step}.tsv"
            with open(bench) as f:
                seconds = float(next(csv.DictReader(f, delimiter="\t"))["s"])
            assert float(row[f"{step}_s"]) == pytest.approx(seconds, abs=1e-3)
            mb_s = row["input_bytes"] and float(row["input_bytes"]) / 1e6 / seconds if seconds else None
            if mb_s:
                assert float(row[f"{step}_MB_s"]) == pytest.approx(mb_s, rel=1e-2, abs=1e-3)


@slow
def test_archives_restore_the_inputs(workflow_run, table):
    for row in table:
        if row["exact"] != "yes":
            continue
        archive = workflow_run / row["archive"]
        original = (workflow_run / "data" / row["file"]).read_bytes()
        restored = (
            _dnacomp_restore(archive) if row["tool"].startswith("dnacomp") else gzip.decompress(archive.read_bytes())
        )
        assert restored == original
        verify_path = workflow_run / "results" / "verify" / row["file"] / f"{row['tool']}-{row['level']}.json"
        verify = json.loads(verify_path.read_text())
        assert verify["restored_sha256"] == _sha(original)


@slow
def test_missing_tool_is_reported_not_available(table):
    naf = next(r for r in table if r["tool"] == "naf")
    if shutil.which("ennaf") and shutil.which("unnaf"):
        pytest.skip("NAF is installed here")
    assert naf["exact"] == "not available"
    assert naf["archive_bytes"] == "" and naf["bits_per_base"] == ""


@slow
def test_failing_tool_is_reported_failed_and_the_run_goes_on(table):
    if shutil.which("MFCompressC"):
        pytest.skip("a real MFCompress is on PATH")
    row = next(r for r in table if r["tool"] == "mfcompress")
    assert row["exact"] == "failed"
    assert "compress failed: simulated crash" in row["note"]
    assert row["archive_bytes"] == "" and row["bits_per_base"] == ""


@slow
def test_plots_are_made(workflow_run):
    for name in ("bits_per_base.png", "speed_vs_bits_per_base.png"):
        data = (workflow_run / "results" / "plots" / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000


@slow
def test_results_page_has_the_tables_the_plots_and_the_version(workflow_run, table):
    import dnacomp

    page = (workflow_run / "results" / "index.html").read_text()
    assert page.count('<table class="file">') == len({r["file"] for r in table}) and 'id="summary"' in page
    assert page.count("data:image/png;base64,") == 2
    assert f"dnacomp {dnacomp.__version__}" in page
    assert "dnacomp -1" in page or ">-1<" in page
    assert "failed: compress failed: simulated crash" in page  # the reason, in the table


@slow
def test_table_records_the_version_and_the_format(table):
    import dnacomp

    for row in table:
        assert row["dnacomp_version"].startswith(f"dnacomp {dnacomp.__version__}")
        if row["tool"].startswith("dnacomp"):
            # FASTA archives are version 5, FASTQ ones 7 (archive.format_version)
            assert row["format_version"] in {"5", "7"} and row["label"].startswith("dnacomp -1")


@slow
def test_batch_archives_and_scattered_set_restore_exactly(workflow_run):
    batch = workflow_run / "results" / "batch"
    fq = (workflow_run / "data" / "tiny.fq").read_bytes()
    assert _dnacomp_restore(batch / "tiny.fq.dnac") == fq
    parts = sorted((batch / "tiny.fa.dnacset").glob("part-*.dnac"))
    assert len(parts) == 2  # two records, one part each
    fa = (workflow_run / "data" / "tiny.fa").read_bytes()
    assert b"".join(_dnacomp_restore(p) for p in parts) == fa
    manifest = (batch / "tiny.fa.dnacset" / "MANIFEST.tsv").read_text()
    assert _sha(fa) in manifest and "(verified)" in manifest
    assert (workflow_run / "data" / "tiny.fa").exists()  # inputs are kept


def _load_script(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "workflow" / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("parts", [1, 2, 3, 8, 50])
def test_split_records_is_byte_exact(tmp_path, parts):
    rng = random.Random(parts)
    chunks = [b"\n"]  # stray bytes before the first header stay with the first part
    for i in range(20):
        seq = bytes(rng.choice(b"ACGTN") for _ in range(rng.randrange(0, 300)))
        chunks.append(b">r%d\r\n" % i + b"\n".join(seq[j : j + 50] for j in range(0, len(seq), 50)) + b"\n")
    data = b"".join(chunks)
    src = tmp_path / "in.fa.gz"
    src.write_bytes(gzip.compress(data))
    split = _load_script("split_records")
    split.split(str(src), str(tmp_path / "parts"), parts)
    files = sorted((tmp_path / "parts").iterdir())
    assert b"".join(f.read_bytes() for f in files) == data
    assert len(files) == (20 if parts >= 20 else parts)
    assert all(f.read_bytes().lstrip(b"\n").startswith(b">") for f in files)


def test_every_peer_has_a_conda_env():
    from dnacomp.measure import peers

    assert set(peers.OWN_TOOLS) == {"dnacomp", "dnacomp-gru"}
    for name in peers.TOOLS:
        if name not in peers.OWN_TOOLS:
            assert (REPO / "workflow" / "envs" / f"{name}.yaml").is_file(), name


def test_peer_shell_commands_match_bench_argv():
    """The workflow's shell command and bench's argv come from the same definition."""
    from dnacomp.measure import peers

    exes = {"gzip": ["/bin/gzip"]}
    tool = peers.TOOLS["gzip"]
    assert tool.compress.argv_for(exes, "in.fa", "out.gz", "9") == ["/bin/gzip", "-9", "-c", "in.fa"]
    shell = tool.compress.shell_for(exes, "/d/in.fa", "/d/out.gz", "9")
    assert shell.endswith("/bin/gzip -9 -c /d/in.fa > /d/out.gz")
    geco = peers.TOOLS["geco3"]
    assert geco.decompress.produced("/a/x.co", "/a/x.out", "12") == "/a/x.de"
    jarvis = peers.TOOLS["jarvis3"]
    assert jarvis.compress.produced("/t/input.acgt", "/a/x.jc", "27") == "/t/input.acgt.jc"
    assert jarvis.decompress.produced("/a/x.jc", "/a/x.out", "27") == "/a/x.jc.jd"
    assert os.path.basename(sys.executable) in " ".join(peers.resolve(peers.TOOLS["dnacomp"])["dnacomp"])
