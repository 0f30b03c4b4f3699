"""A user's data set for ``mlp`` and ``logistic`` (``-p data=points.csv``).

Accepted: ``.csv`` (numbers separated by commas, one sample a row, the label last; one header
row of names may come first), ``.npy`` (a 2-D array, the label in the last column) and ``.npz``
(arrays ``X`` of shape (samples, features) and ``y`` of shape (samples,)). Anything else is a
one-line ``ParamError`` naming the file and what is wrong with it.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from ._params import ParamError

__all__ = ["load_dataset"]

FORMATS = (".csv", ".npy", ".npz")


def load_dataset(path: str, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """(X (samples, features), y (samples,)) as float64 from ``path``; checked for shape and
    finite numbers."""
    p = Path(path).expanduser()
    where = f"{owner} data={path!r}"
    if not p.is_file():
        raise ParamError(f"{where}: no such file" if not p.exists() else f"{where} is not a file")
    if p.suffix.lower() not in FORMATS:
        raise ParamError(f"{where}: use a {', '.join(FORMATS)} file")
    st = p.stat()
    X, y = _read(str(p.resolve()), st.st_mtime_ns, st.st_size, where)
    return X.copy(), y.copy()


@functools.lru_cache(maxsize=8)
def _read(path: str, mtime: int, size: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        table = _read_csv(path, where)
        X, y = table[:, :-1], table[:, -1]
    else:
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ParamError(f"{where} cannot be read: {exc}") from None
        if suffix == ".npz":
            with loaded:
                missing = [k for k in ("X", "y") if k not in loaded.files]
                if missing:
                    raise ParamError(f"{where} lacks the array {missing[0]!r}; an .npz needs X (samples, features) "
                                     "and y (samples,)")
                X, y = loaded["X"], loaded["y"]
        else:
            if loaded.ndim != 2 or loaded.shape[1] < 2:
                raise ParamError(f"{where} has shape {loaded.shape}; an .npy needs (samples, features + 1), "
                                 "the label last")
            X, y = loaded[:, :-1], loaded[:, -1]
    if not (np.issubdtype(np.asarray(X).dtype, np.number) and np.issubdtype(np.asarray(y).dtype, np.number)):
        raise ParamError(f"{where} holds non-numbers; features and labels must be numbers")
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0 or X.shape[1] == 0:
        raise ParamError(f"{where} has X of shape {X.shape} and y of shape {y.shape}; they must be "
                         "(samples, features) and (samples,) with at least one of each")
    bad = np.argwhere(~np.isfinite(np.column_stack([X, y])))
    if len(bad):
        r, c = (int(v) for v in bad[0])
        raise ParamError(f"{where} sample {r} has a non-finite value in column {c}; every value must be finite")
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _read_csv(path: str, where: str) -> np.ndarray:
    rows: list[list[float]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            cells = [c.strip() for c in line.strip().split(",")]
            if cells == [""]:
                continue
            try:
                rows.append([float(c) for c in cells])
            except ValueError:
                if not rows and number == 1:  # a header row of names
                    continue
                bad = next(c for c in cells if not _is_number(c))
                raise ParamError(f"{where} line {number}: {bad!r} is not a number") from None
            if len(rows[-1]) != len(rows[0]):
                raise ParamError(f"{where} line {number} has {len(rows[-1])} columns; the first row has "
                                 f"{len(rows[0])}")
    if not rows or len(rows[0]) < 2:
        raise ParamError(f"{where} needs at least one row of two or more columns (features, then the label)")
    return np.array(rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
