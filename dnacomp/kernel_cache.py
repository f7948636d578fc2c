"""Where numba keeps dnacomp's compiled kernels, and the one-line notice while it compiles them.

numba compiles each kernel for this machine's CPU the first time a run calls it, and with
``cache=True`` keeps the result on disk for the next runs. Left to itself, numba writes that cache
into the package's own ``__pycache__`` folders: for an installed dnacomp that is site-packages,
where a later ``pip install -e .`` cannot remove it and the stale folder shadows the new install.
So every kernel module decorates with :func:`njit` from here, which first points numba at a
per-user directory (before the first kernel is decorated, which is when numba decides where a
kernel's cache lives):

    $DNACOMP_CACHE_DIR, else $XDG_CACHE_HOME/dnacomp, else ~/.cache/dnacomp
        / <dnacomp version>-py<X.Y>-numba<version>-<machine>-<CPU name>-<sources>

``<sources>`` is a digest of the kernel modules' source (``dnacomp/models``, ``codecs``, ``coding``):
numba checks each cached kernel against its own file only, so without it a kernel that inlines
code from another file (kernel.py's from gru.py and coding/) would keep running the old code after an edit.
numba's index also keys every entry by CPU name and features; the directory name keeps caches of
different machines (a shared home on a cluster) and versions apart, and each can be deleted at
any time. If that directory cannot be written, a per-user one in the temporary directory is used;
if neither can, kernels are compiled in memory on every run (slow, but never an error). A
``NUMBA_CACHE_DIR`` set by the user is honoured as it is.

``dnacomp warmup`` (``api.warm_up``, above this module: it codes) compiles every kernel ahead, e.g. in a
container build. This module imports numba only when a kernel module is imported, never for
``--help`` or ``info``; it imports nothing of dnacomp but the version.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

_PACKAGE = Path(__file__).resolve().parent
#: the folders whose modules define kernels (their source digest keys the cache directory)
_KERNEL_DIRS = ("coding", "models", "codecs")

#: said once per process on stderr, when the first kernel compiles (the CLI turns it on)
NOTICE = "dnacomp: compiling kernels for this CPU, first run only ({estimate}); 'dnacomp warmup' does it ahead"
#: measured on an idle 2-core machine (README, "First run")
ESTIMATE = "about 30 s; 1-2 minutes for FASTQ or many records"
#: seconds a compilation runs before the notice is given (the small kernels take ~0.1 s)
NOTICE_AFTER = 1.0

_LOCK = threading.Lock()
_state: dict = {
    "configured": False,
    "cache_dir": None,
    "why": "",
    "notice": None,
    "noticed": False,
    "ours": False,
    "compiled": [],
}


def cache_root() -> Path:
    """The folder under which dnacomp's kernel caches live (one subfolder per key)."""
    explicit = os.environ.get("DNACOMP_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and os.path.isabs(os.path.expanduser(xdg)) else Path.home() / ".cache"
    return base / "dnacomp"


def sources_digest() -> str:
    """12 hex digits over the source of every kernel module (file names and contents)."""
    h = hashlib.sha256()
    for folder in _KERNEL_DIRS:
        for path in sorted((_PACKAGE / folder).glob("*.py")):
            h.update(f"{folder}/{path.name}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def cache_key() -> str:
    """The cache subfolder's name: what a compiled kernel depends on (needs numba imported)."""
    import numba
    from numba.core import config

    from .version import __version__

    cpu = config.CPU_NAME
    if not cpu:
        from llvmlite import binding

        cpu = binding.get_host_cpu_name()
    machine = os.uname().machine if hasattr(os, "uname") else sys.platform
    parts = [
        __version__,
        f"py{sys.version_info[0]}.{sys.version_info[1]}",
        f"numba{numba.__version__}",
        machine,
        cpu,
        sources_digest(),
    ]
    return "-".join("".join(c if c.isalnum() or c in "._+" else "_" for c in str(p)) for p in parts)


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def _choose_dir() -> tuple[Path | None, str]:
    key = cache_key()
    first = cache_root() / key
    if _writable(first):
        return first, ""
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    second = Path(tempfile.gettempdir()) / f"dnacomp-{uid}" / key
    if _writable(second):
        return second, f"{first} is not writable; using {second}"
    return None, f"neither {first} nor {second} is writable; kernels are compiled on every run"


def configure() -> Path | None:
    """Points numba at dnacomp's cache directory (once; returns it, None if caching is off).

    Must run before the first kernel is decorated: :func:`njit` calls it."""
    if _state["configured"]:
        return _state["cache_dir"]
    from numba.core import config, event

    if config.CACHE_DIR:  # the user's NUMBA_CACHE_DIR (or a program's numba.config) wins
        _state["cache_dir"], _state["why"] = Path(config.CACHE_DIR), "NUMBA_CACHE_DIR is set"
    else:
        try:
            chosen, why = _choose_dir()
        except Exception as exc:  # a broken home directory must never stop a run
            chosen, why = None, f"no kernel cache ({type(exc).__name__}: {exc})"
        if chosen is not None:
            config.CACHE_DIR = str(chosen)
        _state["cache_dir"], _state["why"], _state["ours"] = chosen, why, True
    event.register("numba:compile", _listener())
    _state["configured"] = True
    return _state["cache_dir"]


def njit(*args, **kwargs):
    """``numba.njit``, with dnacomp's cache directory set first (and caching off if none)."""
    import numba

    where = configure()
    if where is None:
        kwargs["cache"] = False
    elif _state["ours"]:  # again: numba resets its config when it sees the environment change
        numba.config.CACHE_DIR = str(where)
    return numba.njit(*args, **kwargs)


def set_notice(stream: TextIO | None) -> None:
    """Where to say (once) that kernels are being compiled; None = nowhere (the default).
    ``DNACOMP_COMPILE_NOTICE=0`` in the environment keeps it off."""
    if os.environ.get("DNACOMP_COMPILE_NOTICE", "1") == "0":
        stream = None
    _state["notice"] = stream


def _is_ours(dispatcher) -> bool:
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    return module == "dnacomp" or module.startswith("dnacomp.")


def _say_compiling() -> None:
    with _LOCK:
        stream = _state["notice"]
        if stream is None or _state["noticed"]:
            return
        _state["noticed"] = True
    try:
        print(NOTICE.format(estimate=ESTIMATE), file=stream, flush=True)
    except (OSError, ValueError):  # a closed stderr must not stop the run
        pass


def _listener():
    from numba.core import event

    class Listener(event.Listener):
        """Notes dnacomp's kernel compilations (cache misses). A compilation that takes longer
        than NOTICE_AFTER seconds (the big kernels; not the small ones that a warm cache may still
        lack, such as a decoder's first call) triggers the notice, once per process."""

        depth = 0
        timer = None

        def on_start(self, ev) -> None:
            dispatcher = (ev.data or {}).get("dispatcher")
            if not _is_ours(dispatcher):
                return
            with _LOCK:
                _state["compiled"].append(dispatcher.py_func.__qualname__)
                Listener.depth += 1
                if Listener.depth == 1 and _state["notice"] is not None and not _state["noticed"]:
                    Listener.timer = threading.Timer(NOTICE_AFTER, _say_compiling)
                    Listener.timer.daemon = True
                    Listener.timer.start()

        def on_end(self, ev) -> None:
            if not _is_ours((ev.data or {}).get("dispatcher")):
                return
            with _LOCK:
                Listener.depth = max(0, Listener.depth - 1)
                if Listener.depth == 0 and Listener.timer is not None:
                    Listener.timer.cancel()
                    Listener.timer = None

    return Listener()


def compiled_kernels() -> list[str]:
    """Names of the dnacomp kernels compiled (not loaded from the cache) in this process."""
    return list(_state["compiled"])


def describe() -> str:
    """Where the kernel cache is, for ``dnacomp warmup`` and bug reports."""
    where = configure()
    text = f"kernel cache: {where}" if where is not None else "kernel cache: none"
    return text + (f" ({_state['why']})" if _state["why"] else "")
