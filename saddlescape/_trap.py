"""Exceptions raised inside compiled kernels, caught instead of lost; and Ctrl-C during a
compile, taken instead of lost.

A Numba function called through a first-class function pointer (how the engine calls a
landscape's kernels and an optimizer's step) cannot raise into its caller: Numba reports the
exception through ``sys.unraisablehook`` ("Exception ignored in: <numba.core.cpu.CPUContext>")
and carries on with whatever the outputs held, so a run whose user landscape raised finished
"complete" with a traceback a step on stderr. Inside ``kernel_errors()`` such reports are
collected on the calling thread instead, for the engine to stop the run and say so once.

Ctrl-C pressed while Numba compiles can land in a ctypes callback of LLVM's, which cannot raise
either: it was printed as "Exception ignored" and the run went on to finish. Once ``install()``
has run, such a KeyboardInterrupt is kept as pending (raising it from the hook would only raise
it inside the hook), and the loops that take signals between chunks take it as a Ctrl-C
(``take_interrupt``).
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from saddlescape.landscapes._params import SaddlescapeError

__all__ = ["KernelError", "Trapped", "install", "kernel_errors", "take_interrupt"]

_local = threading.local()
_lock = threading.Lock()
_installed: list[Any] = []  # the hook that was there before ours
_pending: list[bool] = []  # a Ctrl-C a callback swallowed, not yet taken


class KernelError(SaddlescapeError):
    """A compiled kernel (a landscape's or an optimizer's) raised during a chunk."""


class Trapped:
    """The kernel exceptions one ``kernel_errors`` block saw: the first, and how many."""

    def __init__(self) -> None:
        self.first: BaseException | None = None
        self.where = ""
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def describe(self) -> str:
        """'ValueError: too close to the origin (bad.py:12 in vg), 535 times'."""
        exc = self.first
        text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        times = f", {self.count} times" if self.count > 1 else ""
        return f"{text}{f' ({self.where})' if self.where else ''}{times}"


def _hook(unraisable: Any) -> None:
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        _pending.append(True)
        return
    trap = getattr(_local, "trap", None)
    if trap is None or unraisable.exc_value is None:
        _installed[0](unraisable)
        return
    trap.count += 1
    if trap.first is None:
        trap.first = unraisable.exc_value
        tb = unraisable.exc_traceback
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            code = tb.tb_frame.f_code
            trap.where = f"{code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {code.co_name}"


def take_interrupt() -> bool:
    """Whether a Ctrl-C was swallowed by a callback since the last call (and forget it)."""
    if not _pending:
        return False
    _pending.clear()
    return True


def install() -> None:
    """Put this module's hook in front of ``sys.unraisablehook`` (once)."""
    with _lock:
        if not _installed:
            _installed.append(sys.unraisablehook)
            sys.unraisablehook = _hook


@contextmanager
def kernel_errors() -> Iterator[Trapped]:
    """Collect the exceptions compiled kernels report on this thread during the block."""
    install()
    outer = getattr(_local, "trap", None)
    trap = _local.trap = Trapped()
    try:
        yield trap
    finally:
        _local.trap = outer
