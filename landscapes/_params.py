"""Declared parameters: each landscape and optimizer lists its knobs with defaults and ranges.

Pure Python (no NumPy, no Numba) so ``saddlescape list`` stays fast.
"""
from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Param", "ParamError", "SaddlescapeError", "closest", "parse_value", "validate_params"]


class SaddlescapeError(ValueError):
    """The base of the project's own errors: bad input a user can fix, said in one line.

    The command line prints these as one line and exits 2; anything else is a bug and keeps its
    traceback. A ValueError, so ``except ValueError`` in older scripts still catches them."""


class ParamError(SaddlescapeError):
    """A bad parameter, dimension or point: the message is one line naming the value and what is allowed."""


def closest(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean ...?)' hint, or '' when nothing is close."""
    near = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""


@dataclass(frozen=True)
class Param:
    """One keyword parameter.

    Attributes:
        name: the keyword.
        default: the value used when the caller gives none.
        kind: "float", "int", "bool", "choice" or "path" (a file name; "" for none).
        low, high: inclusive bounds for numbers (None: unbounded on that side).
        choices: allowed values for kind "choice".
        doc: one sentence for ``saddlescape list``.
        open_low: when True the lower bound is exclusive (e.g. a step size > 0).
        auto: when set, the value "auto" is allowed too and means this rule (e.g. a step size
            computed from the landscape's curvature where the walkers start).
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    choices: Sequence[str] = ()
    doc: str = ""
    open_low: bool = False
    auto: str = ""

    def allowed(self) -> str:
        """Human description of the allowed values."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "path":
            return "a file path (" + ", ".join(self.choices) + ")" if self.choices else "a file path"
        if self.kind == "bool":
            return "true or false"
        lo = "-inf" if self.low is None else repr(self.low)
        hi = "inf" if self.high is None else repr(self.high)
        left = "(" if (self.open_low or self.low is None) else "["
        right = ")" if self.high is None else "]"
        what = "an integer" if self.kind == "int" else "a number"
        return f"{what} in {left}{lo}, {hi}{right}" + (" or 'auto'" if self.auto else "")

    def check(self, value: Any, owner: str) -> Any:
        """Convert and range-check ``value``; raise ParamError naming it otherwise."""
        where = f"{owner} parameter {self.name}={value!r}"
        if self.auto and isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        if self.kind == "path":
            if not isinstance(value, (str, os.PathLike)):
                raise ParamError(f"{where} is not allowed; use {self.allowed()}")
            return os.fspath(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise ParamError(f"{where} is not allowed; use {self.allowed()}")
            return value
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            raise ParamError(f"{where} is not allowed; use {self.allowed()}")
        try:
            if self.kind == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise TypeError
                number: Any = int(value)
            else:
                if isinstance(value, bool):
                    raise TypeError
                number = float(value)
        except (TypeError, ValueError):
            raise ParamError(f"{where} is not allowed; use {self.allowed()}") from None
        if math.isnan(number) or number in (float("inf"), float("-inf")):
            raise ParamError(f"{where} is not allowed; use {self.allowed()}")
        too_low = self.low is not None and (number <= self.low if self.open_low else number < self.low)
        too_high = self.high is not None and number > self.high
        if too_low or too_high:
            raise ParamError(f"{where} is out of range; use {self.allowed()}")
        return number

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description (for ``list --json``)."""
        out = {"name": self.name, "default": self.default, "kind": self.kind,
               "allowed": self.allowed(), "doc": self.doc}
        if self.auto:
            out["auto"] = self.auto
        return out


def validate_params(owner: str, declared: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Return every declared parameter, from ``given`` or its default; reject unknown names."""
    by_name = {p.name: p for p in declared}
    for key in given:
        if key not in by_name:
            allowed = ", ".join(by_name) or "none"
            raise ParamError(
                f"{owner} has no parameter {key!r}{closest(key, by_name)}; its parameters: {allowed}"
            )
    return {p.name: p.check(given.get(p.name, p.default), owner) for p in declared}


def parse_value(text: str) -> Any:
    """Parse the right-hand side of a command-line ``key=value`` (number, bool or string)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()
