"""Signals: leave no temporary file behind, and die the way the shell expects.

Why: outputs are written to ``.dnacomp-*.tmp`` beside the target and renamed when complete
(``fileio.atomic_output``). Python turns SIGINT into KeyboardInterrupt, which unwinds through the
``with`` blocks that remove the temporary file, but SIGTERM (a cluster scheduler's kill, ``timeout``)
and SIGHUP (a closed terminal) kill the process at once and leave the partial file forever. Here
they raise :class:`Terminated` instead, so that they unwind the same way; after the clean-up the
process re-raises the signal with its default action, so a caller sees "killed by SIGTERM"
(status 143 in a shell) as with gzip. A broken pipe (``dnacomp decompress -c x | head``) ends the
same way with SIGPIPE and no message. SIGKILL cannot be caught.

The handlers run in the main thread between Python bytecodes: at the latest when the running
kernel slice returns (``models.basecodec`` codes ~1 M bases per call, about a second).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CAUGHT = (signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):
    """A catchable termination signal arrived; unwinds like KeyboardInterrupt (not an Exception,
    so that no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame) -> None:
    for sig in CAUGHT:  # a second signal must not interrupt the clean-up of the first
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


def _redeliver_if_swallowed(unraisable) -> None:
    """A handler can run inside a callback that cannot raise (an import-lock callback, a numba
    cache hook); Python then prints the exception and carries on. Send the signal again: it is
    handled at the next point where it can unwind the run."""
    if isinstance(unraisable.exc_value, Terminated):
        signum = unraisable.exc_value.signum
        signal.signal(signum, _raise_terminated)
        # not from here: the handler would run inside this hook, where it cannot raise either
        resend = threading.Timer(0.01, os.kill, (os.getpid(), signum))
        resend.daemon = True
        resend.start()
        return
    _previous_unraisablehook(unraisable)


_previous_unraisablehook = sys.unraisablehook


@contextmanager
def terminate_by_unwinding() -> Iterator[None]:
    """Installs the TERM/HUP handlers for the duration of a command (main thread only)."""
    previous = {sig: signal.getsignal(sig) for sig in CAUGHT}
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _redeliver_if_swallowed
    for sig, old in previous.items():
        if old != signal.SIG_IGN:  # nohup: keep ignoring what the caller chose to ignore
            signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        sys.unraisablehook = previous_hook


@contextmanager
def deferred() -> Iterator[None]:
    """Holds TERM/HUP/INT back for a few statements that must not be split (creating a temporary
    file and remembering its name); they are delivered when the block ends."""
    held = set(CAUGHT) | {signal.SIGINT}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def die_by_signal(signum: int) -> None:
    """Ends the process as if ``signum`` had killed it (the shell's 128 + signum convention)."""
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    _silence_stdout()
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached, unless the signal is blocked elsewhere


def _silence_stdout() -> None:
    """Points fd 1 at /dev/null so that the interpreter's last flush of a broken pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
