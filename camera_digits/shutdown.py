"""Stopping cleanly: SIGTERM unwinds a run like Ctrl-C does, so every output is finalized on the way out."""

from __future__ import annotations

import contextlib
import signal
import threading

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, the shell's code for Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class Terminated(BaseException):
    """SIGTERM, raised in the main thread; a BaseException so that no `except Exception` swallows it."""


@contextlib.contextmanager
def sigterm_raises():
    """Turn SIGTERM into `Terminated` inside the block (only the main thread may set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
