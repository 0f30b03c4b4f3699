"""Disconnectivity graphs (Becker & Karplus 1997; Wales, Miller & Walsh 1998) from a map's
minima and transition states.

At each energy level the minima fall into superbasins: sets joined by transition states below
that level. Going up, superbasins merge; the graph draws each minimum as a line from its energy
up to the level where its superbasin joins another, and each merge as a node. Only the minima
connected to the lowest one are drawn (the others are counted). ``levels=0`` puts each merge at
its transition state's own energy (a barrier tree) instead of the next level up.

Drawn in the terminal with box-drawing characters (no library draws these there) and written as
SVG; the JSON form carries the tree, every transition state with the pair it joins, and the
barriers.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np

from saddlescape.landscapes import ParamError

__all__ = ["DisconnectivityGraph", "build", "disconnectivity_graph"]


@dataclass
class Node:
    """A leaf (``minimum`` id, at its ``energy``) or a merge at ``energy`` of ``children``."""

    energy: float
    minimum: int | None = None
    children: list[Node] | None = None
    lowest: float = 0.0  # the lowest minimum below
    size: int = 1  # minima below
    x: float = 0.0

    def to_json(self) -> dict[str, Any]:
        if self.minimum is not None:
            return {"minimum": self.minimum, "energy": self.energy}
        return {"energy": self.energy, "children": [c.to_json() for c in self.children or []]}


@dataclass
class DisconnectivityGraph:
    root: Node | None
    levels: list[float]
    minima: dict[int, float]
    transition_states: list[dict[str, Any]]
    excluded: int
    landscape: dict[str, Any]

    # -- JSON -----------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Minima and transition states (with the pair each joins and its barrier from each side),
        the levels, the tree, and how many minima are not connected to the lowest one."""
        return {"landscape": self.landscape, "levels": self.levels,
                "minima": [{"id": i, "energy": e} for i, e in sorted(self.minima.items())],
                "transition_states": self.transition_states, "excluded_minima": self.excluded,
                "tree": None if self.root is None else self.root.to_json()}

    # -- layout ---------------------------------------------------------------------------------
    def pruned(self, max_minima: int) -> Node | None:
        """The tree with only the ``max_minima`` lowest minima (merges left with one branch removed)."""
        if self.root is None:
            return None
        keep = set(sorted(self.minima, key=lambda i: (self.minima[i], i))[:max_minima])

        def prune(n: Node) -> Node | None:
            if n.minimum is not None:
                return n if n.minimum in keep else None
            kids = [k for k in (prune(c) for c in n.children or []) if k is not None]
            if not kids:
                return None
            if len(kids) == 1 and n is not self.root:
                return kids[0]
            out = Node(n.energy, None, kids)
            out.lowest = min(k.lowest for k in kids)
            out.size = sum(k.size for k in kids)
            return out

        return _iterative(self.root, prune)

    @staticmethod
    def _layout(root: Node) -> list[Node]:
        """x positions: leaves 0, 1, 2, ... with each merge's lowest branch in the middle
        (disconnectionDPS's convention); a merge sits over the mean of its children."""
        leaves: list[Node] = []

        def order(kids: list[Node]) -> list[Node]:
            s = sorted(kids, key=lambda k: k.lowest)
            left, right = s[1::2][::-1], s[2::2]
            return [*left, s[0], *right]

        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            n, done = stack.pop()
            if n.minimum is not None:
                n.x = float(len(leaves))
                leaves.append(n)
            elif done:
                n.x = float(np.mean([c.x for c in n.children or []]))
            else:
                stack.append((n, True))
                for c in reversed(order(n.children or [])):
                    stack.append((c, False))
                n.children = order(n.children or [])
        return leaves

    def _segments(self, max_minima: int) -> tuple[list[tuple[float, float, float, float]], list[Node], float, float]:
        """Line segments (x0, e0, x1, e1) of the drawing, its leaves, and the energy range."""
        root = self.pruned(max_minima)
        if root is None:
            return [], [], 0.0, 1.0
        leaves = self._layout(root)
        top = root.energy + (0.1 * (root.energy - root.lowest) if root.minimum is None else 1.0)
        segs: list[tuple[float, float, float, float]] = [(root.x, root.energy, root.x, top)]
        stack = [root]
        while stack:
            n = stack.pop()
            for c in n.children or []:
                segs.append((c.x, c.energy, c.x, n.energy))
                stack.append(c)
            if n.children:
                xs = [c.x for c in n.children]
                segs.append((min(xs), n.energy, max(xs), n.energy))
        return segs, leaves, root.lowest, top

    # -- terminal -------------------------------------------------------------------------------
    def render(self, width: int = 80, height: int = 24, max_minima: int | None = None,
               highlight: int | None = None) -> list[str]:
        """The graph as ``height`` lines of ``width`` characters (an energy axis on the left); the
        minimum ``highlight`` (an id) drawn as ``◉``."""
        if self.root is None:
            return ["(no minima connected yet)"]
        axis = 10
        plot_w = max(4, width - axis - 1)
        cap = max_minima if max_minima is not None else max(1, (plot_w + 1) // 2)
        segs, leaves, lo, hi = self._segments(cap)
        rows = max(3, height - 1)
        n_leaves = max(1, len(leaves))
        span = max(hi - lo, 1e-12)

        def col(x: float) -> int:
            return round(x * (plot_w - 1) / max(n_leaves - 1, 1)) if n_leaves > 1 else plot_w // 2

        def row(e: float) -> int:
            return round((hi - e) / span * (rows - 1))

        UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
        bits = np.zeros((rows, plot_w), np.uint8)
        for x0, e0, x1, e1 in segs:
            if x0 == x1:  # vertical, e0 below e1
                c, r0, r1 = col(x0), row(e0), row(e1)
                for r in range(r1, r0 + 1):
                    if r > r1:
                        bits[r, c] |= UP
                    if r < r0:
                        bits[r, c] |= DOWN
            else:
                r, c0, c1 = row(e0), col(x0), col(x1)
                for c in range(c0, c1 + 1):
                    if c > c0:
                        bits[r, c] |= LEFT
                    if c < c1:
                        bits[r, c] |= RIGHT
        glyph = {0: " ", UP: "│", DOWN: "│", UP | DOWN: "│", LEFT: "─", RIGHT: "─", LEFT | RIGHT: "─",
                 DOWN | RIGHT: "┌", DOWN | LEFT: "┐", UP | RIGHT: "└", UP | LEFT: "┘",
                 UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", DOWN | LEFT | RIGHT: "┬",
                 UP | LEFT | RIGHT: "┴", UP | DOWN | LEFT | RIGHT: "┼"}
        grid = [[glyph[int(b)] for b in line] for line in bits]
        for leaf in leaves:
            grid[row(leaf.energy)][col(leaf.x)] = "◉" if leaf.minimum == highlight else "●"
        labels = {0: hi, rows - 1: lo, (rows - 1) // 2: 0.5 * (hi + lo)}
        out = []
        for r in range(rows):
            label = f"{labels[r]:>{axis}.4g}" if r in labels else " " * axis
            out.append(label + "┤" + "".join(grid[r]) if r in labels else label + "│" + "".join(grid[r]))
        shown = f"{len(leaves)} of {len(self.minima)} minima" if len(leaves) < len(self.minima) else \
            f"{len(leaves)} minima"
        note = f" ({self.excluded} unconnected)" if self.excluded else ""
        n_ts = len(self.transition_states)
        footer = f"{'energy':>{axis}}  {shown}{note}, {n_ts} transition state{'s' if n_ts != 1 else ''}"
        if len(footer) > width:
            footer = f"{'energy':>{axis}}  {len(leaves)} minima, {len(self.transition_states)} TS"
        out.append(footer[:width])
        return out

    # -- SVG ------------------------------------------------------------------------------------
    def svg(self, width: int = 800, height: int = 600, max_minima: int = 2000) -> str:
        """The graph as an SVG document (lines in user units, an energy axis with ticks)."""
        segs, leaves, lo, hi = self._segments(max_minima)
        ml, mr, mt, mb = 70, 20, 20, 40
        n = max(len(leaves) - 1, 1)
        span = max(hi - lo, 1e-12)

        def px(x: float) -> float:
            return ml + (x / n if len(leaves) > 1 else 0.5) * (width - ml - mr)

        def py(e: float) -> float:
            return mt + (hi - e) / span * (height - mt - mb)

        title = html.escape(f"{self.landscape.get('name', '')} (dim {self.landscape.get('dim', '')}): "
                            f"{len(leaves)} minima, {len(self.transition_states)} transition states")
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
               f"<title>{title}</title>", '<rect width="100%" height="100%" fill="white"/>',
               '<g stroke="black" stroke-width="1" fill="none">']
        for x0, e0, x1, e1 in segs:
            out.append(f'<line x1="{px(x0):.2f}" y1="{py(e0):.2f}" x2="{px(x1):.2f}" y2="{py(e1):.2f}"/>')
        out.append("</g>")
        out.append(f'<line x1="{ml - 10}" y1="{mt}" x2="{ml - 10}" y2="{height - mb}" stroke="black"/>')
        for t in np.linspace(lo, hi, 6):
            y = py(float(t))
            out.append(f'<line x1="{ml - 14}" y1="{y:.2f}" x2="{ml - 10}" y2="{y:.2f}" stroke="black"/>')
            out.append(f'<text x="{ml - 16}" y="{y + 4:.2f}" text-anchor="end">{t:.4g}</text>')
        out.append(f'<text x="14" y="{(height - mb + mt) / 2:.0f}" transform="rotate(-90 14 '
                   f'{(height - mb + mt) / 2:.0f})" text-anchor="middle">energy</text>')
        out.append(f'<text x="{width / 2:.0f}" y="{height - 12}" text-anchor="middle">{title}</text>')
        out.append("</svg>")
        return "\n".join(out) + "\n"


def _iterative(root: Node, fn: Any) -> Any:
    """``fn`` applied to a deep tree without Python's recursion limit (a chain of 10^5 merges)."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10 * root.size + 1000))
    try:
        return fn(root)
    finally:
        sys.setrecursionlimit(old)


def build(minima: dict[int, float], transition_states: list[tuple[int, float, int, int]], *,
          levels: int = 20, landscape: dict[str, Any] | None = None) -> DisconnectivityGraph:
    """The graph of ``minima`` (id -> energy) joined by ``transition_states`` (id, energy, m1, m2):
    merges at ``levels`` evenly spaced levels from the lowest minimum to the highest transition
    state needed to join them (``levels=0``: at each transition state's energy)."""
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 0:
        raise ParamError(f"levels={levels!r} is not allowed; use an integer >= 0 (0: merge at each barrier)")
    from ._landmap import UnionFind

    sets = UnionFind(minima)
    ts_rows = []
    for tid, e, a, b in transition_states:
        if a not in minima or b not in minima:
            raise ParamError(f"transition state {tid} joins minima {a} and {b}, which are not all in the map")
        ea, eb = minima[a], minima[b]
        ts_rows.append({"id": int(tid), "energy": float(e), "minimum1": int(a), "minimum2": int(b),
                        "barrier1": float(e) - ea, "barrier2": float(e) - eb})
    spec = landscape or {}
    if not minima:
        return DisconnectivityGraph(None, [], {}, ts_rows, 0, spec)
    lowest = min(minima, key=lambda i: (minima[i], i))
    # the spanning forest (Kruskal): which transition states merge superbasins, lowest first
    merges = []
    for _, e, a, b in sorted(transition_states, key=lambda t: (t[1], t[0])):
        if sets.union(a, b):
            merges.append((float(e), a, b))
    comp = sets.find(lowest)
    members = {i: e for i, e in minima.items() if sets.find(i) == comp}
    e_min = min(members.values())
    used = [(e, a, b) for e, a, b in merges if a in members]
    tops = np.array([e for e, _, _ in used])
    e_top = float(tops.max()) if len(tops) else e_min
    if levels and len(tops) and e_top > e_min:
        grid = np.linspace(e_min, e_top, int(levels) + 1)[1:]
        grid[-1] = e_top
        at = grid[np.minimum(np.searchsorted(grid, tops - 1e-12 * (1 + np.abs(tops))), len(grid) - 1)]
    else:
        grid = np.unique(tops)
        at = tops
    node: dict[int, Node] = {i: Node(e, minimum=int(i), lowest=e) for i, e in members.items()}
    tree = UnionFind(members)  # (the same merges again, now building the nodes)
    for (_, a, b), lev in zip(used, at.tolist()):
        ra, rb = tree.find(a), tree.find(b)
        na, nb = node[ra], node[rb]
        same_a = na.minimum is None and na.energy == lev
        same_b = nb.minimum is None and nb.energy == lev
        if same_a or same_b:  # merges at one level gather into one node (the bigger one grows)
            if not same_a or (same_b and len(nb.children or []) > len(na.children or [])):
                na, nb, same_b = nb, na, same_a
            assert na.children is not None
            na.children.extend(nb.children if same_b and nb.children else [nb])
            na.lowest, na.size = min(na.lowest, nb.lowest), na.size + nb.size
            merged = na
        else:
            merged = Node(lev, None, [na, nb], min(na.lowest, nb.lowest), na.size + nb.size)
        tree.union(ra, rb)
        node[min(ra, rb)] = merged
    root = node[tree.find(lowest)]
    return DisconnectivityGraph(root, [float(g) for g in grid] if levels else [], dict(members), ts_rows,
                                len(minima) - len(members), spec)


def disconnectivity_graph(source: Any, *, levels: int = 20) -> DisconnectivityGraph:
    """The disconnectivity graph of a map: a ``LandscapeMap`` or the path of its file.

        >>> import saddlescape
        >>> res, lmap = saddlescape.connect("himmelblau", [3.0, 2.0], [-2.8, 3.1])
        >>> g = saddlescape.disconnectivity_graph(lmap)
        >>> print("\\n".join(g.render(60, 12)))  # doctest: +SKIP
    """
    from ._landmap import LandscapeMap, landscape_spec

    if not isinstance(source, LandscapeMap):
        with LandscapeMap(source, readonly=True) as lmap:
            return disconnectivity_graph(lmap, levels=levels)
    ids, energies, ts_e, pairs = source.graph()
    rows = source.conn.execute("SELECT id FROM transition_states ORDER BY id").fetchall()
    ts = [(int(r[0]), float(e), int(p[0]), int(p[1])) for r, e, p in zip(rows, ts_e, pairs)]
    return build({int(i): float(e) for i, e in zip(ids, energies)}, ts, levels=levels,
                 landscape=landscape_spec(source.landscape))
