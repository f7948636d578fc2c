"""The output-safety matrix: every way of pointing dnacomp at a file, under every way a run can end.

{compress, decompress} x {default output name, -c, -o} x {-k, -f, neither} x input {regular,
symlink, hard link, FIFO, same file as the output, two inputs mapping to one output} x {normal
end, full disk, SIGTERM}: after each cell, every input byte still exists somewhere (the input
itself, or a complete archive/restored file that decodes to it), a FIFO or symlink target is never
removed, no ``.dnacomp-*.tmp`` is left, and no traceback is printed.

Each cell runs the real CLI in a child process. "Full disk" is RLIMIT_FSIZE on the child: the
kernel truncates its writes (a short write) and then fails them with EFBIG, exactly what a full
disk does to a writer. SIGTERM is sent once the run has started writing (its temporary file or its
first stdout byte exists), plus a small delay that differs from cell to cell, so that signals land
in different phases (writing, renaming, removing the input, already done).
"""

from __future__ import annotations

import errno
import gzip
import itertools
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from paths import REPO

import dnacomp

pytestmark = pytest.mark.slow  # 108 CLI runs (all 324 with DNACOMP_FULL_MATRIX=1)

LAMBDA = (REPO / "reference" / "lambda_virus.fa").read_bytes()
BIG = LAMBDA * 12  # ~0.6 MB: a level-1 run long enough to be interrupted mid-way

COMMANDS = ("compress", "decompress")
DESTS = ("default", "stdout", "output")
FLAGS = ("keep", "force", "neither")
INPUTS = ("regular", "symlink", "hardlink", "fifo", "same-as-output", "two-to-one")
EVENTS = ("normal", "full-disk", "sigterm")
DISK_LIMIT = 4 << 10  # bytes any file of the child may grow to in the full-disk cells
FULL = list(itertools.product(COMMANDS, DESTS, FLAGS, INPUTS, EVENTS))


def _covering_cells() -> list[tuple]:
    """Every (command, destination, input, ending) with the flag rotating so that each flag also
    meets each value of every other factor: 108 cells instead of 324, for the default run.
    DNACOMP_FULL_MATRIX=1 runs the whole product."""
    cells = []
    for command, (d, dest), (i, kind), (e, event) in itertools.product(
        COMMANDS, enumerate(DESTS), enumerate(INPUTS), enumerate(EVENTS)
    ):
        cells.append((command, dest, FLAGS[(d + i + e) % 3], kind, event))
    return cells


CELLS = FULL if os.environ.get("DNACOMP_FULL_MATRIX") else _covering_cells()


def _archive(plain: bytes) -> bytes:
    return dnacomp.compress_bytes(plain, level=1)


def _restores(data: bytes) -> bytes | None:
    """The plain bytes an archive restores to (a complete, verified archive), else None."""
    if not data.startswith(b"\x89DNAC"):
        return None
    try:
        return dnacomp.decompress_bytes(data)
    except dnacomp.DnacompError:
        return None


class Cell:
    """One matrix cell: builds its directory, runs the CLI, then checks what is left."""

    def __init__(
        self,
        root: Path,
        index: int,
        command: str,
        dest: str,
        flag: str,
        kind: str,
        event: str,
        archives: dict[bytes, bytes],
    ):
        self.name = f"{command}/{dest}/{flag}/{kind}/{event}"
        self.index, self.command, self.dest, self.flag, self.kind, self.event = index, command, dest, flag, kind, event
        self.dir = root / f"cell{index:03d}"
        self.dir.mkdir()
        self.plain = BIG if event == "sigterm" else LAMBDA
        self.archive = archives[self.plain]
        self.fifo_thread: threading.Thread | None = None

    # --- set-up ---------------------------------------------------------------------------
    def _payload(self) -> bytes:
        return self.plain if self.command == "compress" else self.archive

    def build(self) -> list[str]:
        """Creates the inputs; returns the CLI arguments."""
        suffix = ".fa" if self.command == "compress" else ".fa.dnac"
        name = "x" + suffix
        target = self.dir / name
        payload = self._payload()
        self.expect = {}  # paths whose content is the user's data -> that content
        inputs = [name]
        if self.kind in ("regular", "same-as-output", "two-to-one"):
            target.write_bytes(payload)
            self.expect[name] = payload
        elif self.kind == "symlink":
            (self.dir / ("target" + suffix)).write_bytes(payload)
            os.symlink("target" + suffix, target)
            self.expect["target" + suffix] = payload
        elif self.kind == "hardlink":
            target.write_bytes(payload)
            os.link(target, self.dir / ("other" + suffix))
            self.expect[name] = payload
        elif self.kind == "fifo":
            os.mkfifo(target)
        if self.kind == "two-to-one":
            if self.command == "compress":
                (self.dir / "x.fa.gz").write_bytes(gzip.compress(payload))
                inputs = ["x.fa.gz", name]
                self.expect["x.fa.gz"] = gzip.compress(payload)
            else:
                inputs = [name, "./" + name]
        args = [self.command, "-q", "-1"] if self.command == "compress" else [self.command, "-q"]
        args += {"keep": ["-k"], "force": ["-f"], "neither": []}[self.flag]
        if self.dest == "stdout":
            args.append("-c")
        elif self.dest == "output":
            out = name if self.kind == "same-as-output" else ("out.dnac" if self.command == "compress" else "out.fa")
            args += ["-o", out]
        elif self.kind == "same-as-output":  # the default output name is another name of the input
            default = "x.fa.dnac" if self.command == "compress" else "x.fa"
            os.link(target, self.dir / default)
        return args + inputs

    def _feed_fifo(self) -> None:
        """Writes the payload into the FIFO if and when the child opens it (never blocks forever)."""
        path = self.dir / "x.fa" if self.command == "compress" else self.dir / "x.fa.dnac"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno in (errno.ENXIO, errno.ENOENT):  # no reader yet
                    time.sleep(0.01)
                    continue
                raise
            os.set_blocking(fd, True)
            try:
                os.write(fd, self._payload())
            except OSError:
                pass  # the reader left (signal, refusal): its data was never taken
            finally:
                os.close(fd)
            return

    # --- run ------------------------------------------------------------------------------
    def run(self) -> None:
        args = self.build()
        stdout_path = self.dir / ("x.fa" if self.command == "compress" else "x.fa.dnac")
        if self.dest == "stdout" and self.kind == "same-as-output":
            stdout = open(stdout_path, "ab")  # dnacomp -c x >> x
        else:
            stdout = open(self.dir.parent / f"stdout{self.index:03d}", "wb")
        self.stdout_file = stdout.name

        def limit():
            if self.event == "full-disk":
                resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_LIMIT, DISK_LIMIT))

        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dnacomp", *args],
            cwd=self.dir,
            stdout=stdout,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit,
        )
        stdout.close()
        if self.kind == "fifo":
            self.fifo_thread = threading.Thread(target=self._feed_fifo, daemon=True)
            self.fifo_thread.start()
        if self.event == "sigterm":
            self._terminate_once_writing(started)
        try:
            _, err = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            err += b"\n(hung: killed after 120 s)"
        self.stderr = err.decode(errors="replace")
        self.seconds = time.monotonic() - started
        if self.fifo_thread is not None:
            self.fifo_thread.join(5)

    def _terminate_once_writing(self, started: float) -> None:
        delay = (0.0, 0.05, 0.2, 0.5)[self.index % 4]
        while self.proc.poll() is None and time.monotonic() - started < 30:
            writing = any(p.name.startswith(".dnacomp-") for p in self.dir.iterdir()) or (
                os.path.exists(self.stdout_file) and os.path.getsize(self.stdout_file) > 0
            )
            if writing:
                break
            time.sleep(0.005)
        time.sleep(delay)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    # --- check ----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        found = []
        code = self.proc.returncode
        if "Traceback" in self.stderr or "hung" in self.stderr:
            found.append(f"stderr: {self.stderr.strip()[-300:]}")
        if code not in (0, 1, -signal.SIGTERM):
            found.append(f"exit status {code}")
        files = {p.name: p for p in self.dir.iterdir()}
        leftovers = [n for n in files if n.startswith(".dnacomp-")]
        if leftovers:
            found.append(f"temporary files left: {leftovers}")
        if self.kind == "fifo" and not (self.dir / ("x.fa" if self.command == "compress" else "x.fa.dnac")).is_fifo():
            found.append("the FIFO was removed")
        blobs = [p.read_bytes() for p in files.values() if p.is_file()]
        stdout = Path(self.stdout_file).read_bytes() if os.path.exists(self.stdout_file) else b""
        recovered = set()
        for blob in blobs + [stdout]:
            recovered |= {blob, _restores(blob), gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else None}
        for name in self.expect:
            if self.plain not in recovered:
                found.append(f"{name}: its data exists nowhere any more")
        if code == 0 and self.event == "normal" and self.kind != "fifo":
            output = self._expected_output(files, stdout)
            if output is None:
                found.append("exit 0 but no complete output")
        return found

    def _expected_output(self, files: dict, stdout: bytes) -> bytes | None:
        if self.dest == "stdout":
            data = stdout
        else:
            name = {
                "output": "out.dnac" if self.command == "compress" else "out.fa",
                "default": "x.fa.dnac" if self.command == "compress" else "x.fa",
            }[self.dest]
            if self.kind == "symlink" and self.dest == "default":
                name = "x.fa.dnac" if self.command == "compress" else "x.fa"
            if name not in files:
                return None
            data = files[name].read_bytes()
        if self.command == "compress":
            restored = _restores(data)
            wanted = self.plain * 2 if self.kind == "two-to-one" and self.dest == "stdout" else self.plain
            return restored if restored == wanted else None
        return data if data in (self.plain, self.plain * 2) else None


def test_no_input_byte_is_ever_lost(tmp_path):
    archives = {plain: _archive(plain) for plain in (LAMBDA, BIG)}
    cells = [Cell(tmp_path, i, *spec, archives=archives) for i, spec in enumerate(CELLS)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(Cell.run, cells))
    if os.environ.get("DNACOMP_MATRIX_TIMES"):
        for cell in sorted(cells, key=lambda c: -c.seconds):
            print(f"{cell.seconds:6.2f} {cell.proc.returncode:4d} {cell.name}")
    failures = [f"{cell.name}: {problem}" for cell in cells for problem in cell.problems()]
    assert not failures, "\n".join(failures)
    outcomes = {(cell.event, cell.proc.returncode) for cell in cells}
    # the matrix really exercised each ending: successes, refusals/full disks, and kills mid-run
    assert ("normal", 0) in outcomes and ("normal", 1) in outcomes
    assert ("full-disk", 1) in outcomes and ("sigterm", -signal.SIGTERM) in outcomes


@pytest.mark.parametrize("command", COMMANDS)
def test_full_disk_cells_really_fill_the_disk(tmp_path, command):
    """A cell that cannot fail is a defect: the limit must be below what a run writes."""
    payload = LAMBDA if command == "compress" else _archive(LAMBDA)
    assert len(_archive(LAMBDA)) > DISK_LIMIT and len(LAMBDA) > DISK_LIMIT
    (tmp_path / "x").write_bytes(payload)
    res = subprocess.run(
        [sys.executable, "-m", "dnacomp", command, "-q", "-c", "x"],
        cwd=tmp_path,
        stdout=open(tmp_path / "out", "wb"),
        stderr=subprocess.PIPE,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_LIMIT, DISK_LIMIT)),
    )
    assert res.returncode == 1 and b"<stdout>" in res.stderr and b"Traceback" not in res.stderr
