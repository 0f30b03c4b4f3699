"""The renderer's pure functions."""
from __future__ import annotations

import numpy as np
import pytest

from saddlescape.tui._render import HEAT_PALETTE, cell_runs, histogram_line, quantise, sparkline, to_cell


def test_quantise_spans_the_palette_and_marks_nan():
    v = np.linspace(0, 1, 100).reshape(10, 10)
    v[0, 0] = np.nan
    q = quantise(v)
    assert q[0, 0] == -1 and q[1:].min() >= 0 and q.max() == len(HEAT_PALETTE) - 1
    assert (np.diff(q[5]) >= 0).all()


def test_to_cell_maps_extent_corners():
    col, row, inside = to_cell(np.array([0.0, 0.999, 1.5]), np.array([0.999, 0.001, 0.5]), (0, 1, 0, 1), 10, 5)
    assert col[:2].tolist() == [0, 9] and row[:2].tolist() == [0, 4]
    assert inside.tolist() == [True, True, False]


def test_to_cell_puts_diverged_walkers_outside_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (NaN cast to int warned before)
        _, _, inside = to_cell(np.array([np.nan, np.inf, 1e300, 0.5]), np.array([0.5, 0.5, 0.5, -np.inf]),
                                 (0, 1, 0, 1), 10, 5)
    assert inside.tolist() == [False, False, False, False]


def test_equal_cells_merge_into_runs_and_overlays_break_them():
    top = np.array([1, 1, 1, 2, 2])
    bottom = np.array([3, 3, 3, 3, 3])
    runs = cell_runs(top, bottom, {})
    assert [r[3] for r in runs] == [3, 2] and runs[0][0] == "▀"
    runs = cell_runs(top, bottom, {1: ("●", "#ff0000")})
    assert [(r[0], r[3]) for r in runs] == [("▀", 1), ("●", 1), ("▀", 1), ("▀", 2)]
    assert runs[1][1] == "#ff0000" and runs[1][2] == HEAT_PALETTE[3]


def test_sparkline_and_histogram():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([1.0, float("nan"), 1.0], 3)[1] == " "
    bars, lo, hi = histogram_line([-1.0, 0.0, 0.0, 2.0], 3)
    assert len(bars) == 3 and lo == -1.0 and hi == 2.0


@pytest.mark.parametrize("values", [[34.5830591, np.nextafter(34.5830591, 99.0)], [2.0, 2.0], [0.0, 0.0]])
def test_histogram_of_values_equal_but_for_rounding(values):
    """Two Hessian eigenvalues an ulp apart (a walker on styblinski-tang's diagonal) made
    np.histogram refuse to cut 30 bins, and the playground died with a traceback."""
    bars, lo, hi = histogram_line(values, 30)
    assert len(bars) == 30 and lo < min(values) <= max(values) < hi


def test_pack_lines_fills_each_line_greedily():
    from saddlescape.tui._keybar import pack_lines

    assert pack_lines([5, 5, 5], 12) == [[0, 1], [2]]  # 5 + 2 + 5 = 12 fits, the third does not
    assert pack_lines([5, 5, 5], 100) == [[0, 1, 2]]
    assert pack_lines([20, 3], 10) == [[0], [1]]  # too wide for any line: alone on its own
    assert pack_lines([], 10) == []


def test_sparklines_draw_rounding_noise_flat():
    """A loss wobbling in its 16th digit, or a gradient of 1e-16, is not a signal to blow up."""
    loss = [-0.6 + 1e-16 * (k % 3) for k in range(12)]
    grad = [1e-16 * (k % 5) for k in range(12)]
    assert sparkline(loss, 12) == "▁" * 12 and sparkline(grad, 12) == "▁" * 12
    assert sparkline([1.0, 1.0 + 1e-6, 1.0], 3) == "▁█▁"  # a real change still shows


def test_threshold_chart_draws_the_line_where_bars_stay_below_it():
    from saddlescape.tui._render import threshold_chart

    # scale: 1.2 x max(values, threshold) = 12 over 2 rows of 8 levels; threshold 10 -> level 13 (top row)
    rows = threshold_chart([2.0, 5.0, 10.0, 3.0], 10.0, width=4, rows=2)
    assert len(rows) == 2 and all(len(r) == 4 for r in rows)
    top, bottom = rows
    # levels in eighths of a row: 2 -> 3, 5 -> 7, 10 -> 13, 3 -> 4
    assert "".join(ch for ch, _ in top) == "──▅─" and [is_line for _, is_line in top] == [True, True, False, True]
    assert "".join(ch for ch, _ in bottom) == "▃▇█▄"
    assert not any(is_line for _, is_line in bottom)
    # no threshold (a second-order method): bars only
    assert not any(is_line for row in threshold_chart([1.0, 2.0], None, width=2) for _, is_line in row)
