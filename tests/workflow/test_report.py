"""The workflow's results page (results/index.html) answers the question on its first screen, and
`dnacomp bench` says why a peer is not exact.

The page is built here from a synthetic table (workflow/scripts: plots.py, then index_page.py),
without running the workflow, and rendered with headless Chromium (Debian's `chromium`, which
.ci/run installs): the screenshot of the first 1280x900 pixels must show the summary table and
the bits/base plot. tests/test_workflow.py checks the page of a real run.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from paths import REPO

SCRIPTS = REPO / "workflow" / "scripts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(file, fmt, size, tool, level, label, bpb, exact="yes", note="", mb_s=2.5):
    symbols = size * 3 // 4
    archive = int(bpb * symbols / 8) if bpb else ""
    done = bool(bpb)
    return dict(
        file=file,
        format=fmt,
        tool=tool,
        level=str(level),
        label=label,
        input_bytes=str(size),
        symbols=str(symbols),
        archive_bytes=str(archive),
        bits_per_base=f"{bpb:.4f}" if done else "",
        compress_s="1.0" if done else "",
        decompress_s="1.0" if done else "",
        compress_MB_s=f"{mb_s:.3f}" if done else "",
        decompress_MB_s=f"{mb_s * 2:.3f}" if done else "",
        compress_max_rss_MB="150.0" if done else "",
        decompress_max_rss_MB="140.0" if done else "",
        exact=exact,
        note=note,
        command=f"{tool} -{level}",
        archive="",
        format_version="2" if tool == "dnacomp" and done else "",
        dnacomp_version="dnacomp 0.1.0 (git abc1234)",
    )


def _table():
    rows = []
    files = [
        ("ecoli_536.fna", "fasta", 5_009_545, 1.83),
        ("lambda_virus.fa", "fasta", 49_270, 1.9),
        ("hg19_chr17_part.fa", "fasta", 40_008, 1.7),
        ("ERR127302_1_subset.fastq", "fastq", 4_076_382, 4.3),
    ]
    for file, fmt, size, base in files:
        for level, extra, speed in ((1, 0.06, 0.9), (5, 0.0, 0.5), (9, -0.01, 0.35)):
            rows.append(
                _row(
                    file,
                    fmt,
                    size,
                    "dnacomp",
                    level,
                    f"dnacomp -{level}",
                    base + extra,
                    note="default level" if level == 5 else "",
                    mb_s=speed,
                )
            )
        rows.append(_row(file, fmt, size, "gzip", 9, "gzip -9", base * 1.3, mb_s=12))
        rows.append(_row(file, fmt, size, "xz", 9, "xz -9", base * 1.2, mb_s=1.1))
        if fmt == "fasta":
            lossy = file == "lambda_virus.fa"
            rows.append(
                _row(
                    file,
                    fmt,
                    size,
                    "mfcompress",
                    3,
                    "MFCompress -3",
                    base * 1.05,
                    exact="no" if lossy else "yes",
                    mb_s=0.9,
                    note="MFCompress drops the final blank line; restored file differs from the input (sha256)"
                    if lossy
                    else "",
                )
            )
            rows.append(
                _row(
                    file,
                    fmt,
                    size,
                    "naf",
                    22,
                    "NAF -22",
                    None,
                    exact="not available",
                    note="not found on PATH or in peer_dirs",
                )
            )
        else:
            rows.append(
                _row(
                    file,
                    fmt,
                    size,
                    "fqzcomp",
                    5,
                    "fqzcomp -s5+ -e -q3",
                    base * 0.97,
                    exact="no",
                    mb_s=8,
                    note="fqzcomp 4.6 restores the quality of every N base as '!'",
                )
            )
    return rows


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    pytest.importorskip("matplotlib")
    work = tmp_path_factory.mktemp("report")
    rows = _table()
    tsv = work / "bits_per_base.tsv"
    with open(tsv, "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    plots, index = _load_script("plots"), _load_script("index_page")
    rows = plots.load(tsv)
    plots.bits_per_base(rows, work / "bits.png")
    plots.speed(rows, work / "speed.png", 1_000_000)
    index.main(str(tsv), str(work / "bits.png"), str(work / "speed.png"), str(work / "index.html"), 1_000_000)
    return work / "index.html"


def test_page_has_the_table_per_file_with_levels_reasons_and_speeds(page):
    text = page.read_text()
    assert 'id="summary"' in text and text.count('<table class="file">') == 4
    assert "dnacomp 0.1.0 (git abc1234)" in text and "archive format 2" in text
    assert "-5 (default)" in text and "dnacomp 5" not in text
    assert "<b>no</b>: MFCompress drops the final blank line" in text
    assert "not available: not found on PATH" in text
    ecoli = text[text.index("<h3>ecoli_536.fna") : text.index("<h3>lambda_virus.fa")]
    lam = text[text.index("<h3>lambda_virus.fa") : text.index("<h3>hg19_chr17_part.fa")]
    assert "<td>0.50</td>" in ecoli  # dnacomp -5's speed on a 5 MB input
    assert "<td>0.50</td>" not in lam and "start-up" in lam  # not on a 49 KB one
    assert "1.00×" in ecoli  # gzip against itself
    assert text.count("data:image/png;base64,") == 2


def test_plots_keep_one_tool_order_and_name_levels_as_on_the_command_line():
    plots = _load_script("plots")
    rows = _table()
    order = [f"{t} {lv}" for t, lv in plots.slots(rows)]
    assert order[:5] == ["dnacomp 1", "dnacomp 5", "dnacomp 9", "gzip 9", "xz 9"]
    for fmt in ("fasta", "fastq"):  # every panel of a format has the same rows, in that order
        assert plots.slots([r for r in rows if r["format"] == fmt]) == [
            s for s in plots.slots(rows) if any(r["format"] == fmt and (r["tool"], r["level"]) == s for r in rows)
        ]
    assert plots.label(rows[1]) == "dnacomp -5"
    assert len(set(plots.marker_of(rows)[("dnacomp", lv)] for lv in "159")) == 3  # levels told apart by shape


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return exe


def render(html: Path, out: Path, tmp: Path, size=(1280, 900)) -> None:
    """A screenshot of the first screen of `html`, with headless Chromium."""
    profile = tmp / "chromium-profile"
    profile.mkdir()
    cmd = [
        _chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={size[0]},{size[1]}",
        html.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp)
    assert out.exists(), proc.stderr[-2000:]


def _has_colour(img, rgb, tol=0.02):
    import numpy as np

    diff = np.abs(img[:, :, :3] - np.array(rgb) / 255.0).max(axis=2)
    return int((diff < tol).sum())


def test_first_screen_shows_the_table_and_the_plot(page, tmp_path):
    """Rendered as a person opens it: the first 1280x900 pixels hold the summary table (its header
    row's grey) and the bits/base plot (dnacomp's red bars)."""
    import matplotlib.image

    shot = tmp_path / "first-screen.png"
    render(page, shot, tmp_path)
    img = matplotlib.image.imread(shot)
    assert img.shape[:2] == (900, 1280)
    assert _has_colour(img, (0xF3, 0xF3, 0xF3)) > 2000  # the table header row
    assert _has_colour(img, (0xD6, 0x27, 0x28)) > 500  # dnacomp's bars in the plot
    assert _has_colour(img, (0x9E, 0x9E, 0x9E)) > 300  # and gzip's


def test_bench_says_why_a_peer_is_not_exact(tmp_path, monkeypatch):
    """A peer whose restore differs gets its tool's known loss as the note, or, for a tool with no
    known loss, what verification found: never an empty note."""
    from dnacomp.measure import bench, peers

    fake = tmp_path / "bin"
    fake.mkdir()
    # a 'gzip' that restores all but the last byte, an 'MFCompress' that drops the final blank line
    (fake / "gzip").write_text('#!/bin/sh\nif [ "$1" = -d ]; then head -c -1 "$3"; else cat "$3"; fi\n')
    (fake / "MFCompressC").write_text('#!/bin/sh\ncp "$4" "$3"\n')
    (fake / "MFCompressD").write_text('#!/bin/sh\nsed \'$ { /^$/d }\' "$3" > "$2"\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    src = tmp_path / "x.fa"
    src.write_bytes(b">x\nACGTACGT\n\n")
    out = tmp_path / "bench.tsv"
    assert bench.run_bench(str(src), [], ["gzip", "mfcompress"], tsv=str(out)) == 0
    with open(out) as f:
        rows = {r["tool"]: r for r in csv.DictReader(f, delimiter="\t")}
    assert rows["gzip"]["exact"] == "no" and rows["gzip"]["note"] == peers.UNEXPECTED_LOSS
    assert rows["mfcompress"]["exact"] == "no" and "drops the final blank line" in rows["mfcompress"]["note"]
    for name, tool in peers.TOOLS.items():
        if tool.exactness == peers.EXACT_ACGT or name in ("mfcompress", "fqzcomp", "enano", "cram"):
            assert tool.note, name  # a tool with a known loss says what it is, beside its definition
