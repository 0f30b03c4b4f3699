"""Files written whole or not at all.

Every result file (a run's JSON and .npz, a census, a study's items and tables) is written to a
temporary file in the same folder, flushed to disk, then renamed over the target: a reader,
a second writer, a full disk, a second Ctrl-C or a kill never leaves a half-written file under
the target's name (two runs writing the same path: the last rename wins, whole). A write that
fails raises ``OutputError`` (one line: the path and why), the temporary file removed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from saddlescape.landscapes._params import SaddlescapeError

__all__ = ["OutputError", "write_atomic", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0o022)  # (the only way to read it is to set it; put back at once)
    os.umask(mask)
    return mask


_UMASK = _umask()


class OutputError(SaddlescapeError):
    """A result file could not be written (no space, no permission, the folder gone)."""


def write_atomic(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(fh)`` on a temporary binary file beside ``path`` and rename it to ``path``
    (a device or pipe, such as /dev/stdout, is written directly: it cannot be replaced)."""
    path = Path(path)
    tmp: str | None = None
    try:
        if path.exists() and not path.is_file():
            with open(path, "wb") as fh:
                write(fh)
            return path
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                   suffix=".tmp")
        # mkstemp makes the file private (0600); a result file gets the mode any new file gets
        # (0666 less the umask), or keeps the mode of the file it replaces
        os.fchmod(fd, path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """``write_atomic`` for UTF-8 text."""
    data = text.encode()
    return write_atomic(path, lambda fh: fh.write(data))
