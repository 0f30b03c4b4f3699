"""Ctrl-C and SIGTERM as requests to stop between chunks.

Python raises KeyboardInterrupt at the next bytecode after a signal, which may be between a
compiled chunk moving the walkers and the Python that records how far they went: an interrupted
run then saved positions of a later step than it said. Inside ``stop_requests()`` SIGINT and
SIGTERM (what batch schedulers send) only set a flag that the loop reads between chunks; a
second one raises KeyboardInterrupt at once, for a loop that is stuck (a long compile).
Outside the main thread (the playground's workers) signals cannot be handled and nothing
changes.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ._trap import take_interrupt

__all__ = ["StopFlag", "stop_requests"]

SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


class StopFlag:
    """Set by the first SIGINT or SIGTERM inside ``stop_requests``; ``signum`` says which."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __bool__(self) -> bool:
        if self.signum is None and take_interrupt():  # a Ctrl-C a compiler callback swallowed
            self.signum = signal.SIGINT
        return self.signum is not None

    @property
    def name(self) -> str | None:
        """"SIGINT" or "SIGTERM" once set, else None."""
        return None if self.signum is None else signal.Signals(self.signum).name


@contextmanager
def stop_requests() -> Iterator[StopFlag]:
    """A flag the first SIGINT/SIGTERM sets (a second raises KeyboardInterrupt)."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: object) -> None:
        if flag:
            raise KeyboardInterrupt
        flag.signum = signum

    old = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield flag
    finally:
        for s, h in old.items():
            signal.signal(s, h)
