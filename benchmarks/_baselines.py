"""Plain NumPy and JAX implementations of the same math (value + gradient + Adam), for ratios."""
from __future__ import annotations

import math

import numpy as np

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


def numpy_vg(name: str):
    if name == "rastrigin":
        def vg(X):
            t = 2 * math.pi * X
            f = 10.0 * X.shape[1] + (X * X - 10.0 * np.cos(t)).sum(axis=1)
            return f, 2 * X + 20 * math.pi * np.sin(t)
    elif name == "styblinski-tang":
        def vg(X):
            X2 = X * X
            return 0.5 * (X2 * X2 - 16 * X2 + 5 * X).sum(axis=1), 2 * X2 * X - 16 * X + 2.5
    elif name == "ackley":
        a, b, c = 20.0, 0.2, 2 * math.pi

        def vg(X):
            D = X.shape[1]
            r = np.sqrt((X * X).sum(axis=1) / D)
            e1 = np.exp(-b * r)
            e2 = np.exp(np.cos(c * X).sum(axis=1) / D)
            k1 = np.where(r > 0, a * b * e1 / (D * np.where(r > 0, r, 1.0)), 0.0)
            return -a * e1 - e2 + a + math.e, k1[:, None] * X + (e2 * c / D)[:, None] * np.sin(c * X)
    else:
        raise KeyError(name)
    return vg


def numpy_adam(name: str, X: np.ndarray):
    """A stepping function (plain vectorised NumPy) and its state."""
    return _numpy_adam(numpy_vg(name), X, 0.0)


def _numpy_adam(vg, X: np.ndarray, radius: float):
    """Adam in NumPy with the engine's sphere handling when ``radius`` > 0 (tangent gradient,
    then retraction)."""
    state = {"x": X.copy(), "m": np.zeros_like(X), "v": np.zeros_like(X), "t": 0}

    def step() -> int:
        x, m, v = state["x"], state["m"], state["v"]
        _, g = vg(x)
        if radius:
            g = g - ((x * g).sum(axis=1) / radius ** 2)[:, None] * x
        state["t"] += 1
        t = state["t"]
        m *= B1
        m += (1 - B1) * g
        v *= B2
        v += (1 - B2) * g * g
        x -= LR * (m / (1 - B1 ** t)) / (np.sqrt(v / (1 - B2 ** t)) + EPS)
        if radius:
            x *= (radius / np.linalg.norm(x, axis=1))[:, None]
        return 1

    return step, state


def jax_adam(name: str, X: np.ndarray, loop: int = 0):
    """JAX (jit + vmap + value_and_grad, float64, CPU); ``loop`` > 0 runs that many steps per call."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    if name == "ackley":
        def f(x):
            D = x.shape[0]
            return (-20.0 * jnp.exp(-0.2 * jnp.sqrt(jnp.sum(x * x) / D))
                    - jnp.exp(jnp.sum(jnp.cos(2 * jnp.pi * x)) / D) + 20.0 + jnp.e)
        return _jax_adam(f, X, loop, 0.0)
    # sums of per-coordinate terms, written as JAX runs them fastest: each term and its derivative
    # element-wise, the per-walker sums as a product with ones (XLA's row reductions were 3x
    # slower: 4,960 against 13,800 steps/s at 4096 walkers in D=2 through vmap(value_and_grad))
    if name == "rastrigin":
        c0, scale = 10.0 * X.shape[1], 1.0
        term = lambda x: x * x - 10.0 * jnp.cos(2 * jnp.pi * x)  # noqa: E731
    elif name == "styblinski-tang":
        c0, scale = 0.0, 0.5
        term = lambda x: x ** 4 - 16 * x ** 2 + 5 * x  # noqa: E731
    else:
        raise KeyError(name)
    elementwise = jax.vmap(jax.vmap(jax.value_and_grad(term)))
    ones = jnp.ones(X.shape[1])

    def value_and_grad(x):
        t, dt = elementwise(x)
        return c0 + scale * (t @ ones), scale * dt

    return _jax_adam(None, X, loop, 0.0, value_and_grad)


def _jax_adam(f, X: np.ndarray, loop: int, radius: float, batched=None):
    """jit + vmap + value_and_grad Adam on the loss ``f`` of one walker (sphere handling when
    radius > 0). Each walker's best loss is carried, as the engine keeps it: with ``grad`` alone
    (or a value nothing uses) XLA drops the loss, and the baseline would time less work than the
    engine, which evaluates the loss every step. ``batched``: (walkers' losses, gradients) of the
    whole block in place of ``vmap(value_and_grad(f))``."""
    import jax
    import jax.numpy as jnp

    value_and_grad = batched or jax.vmap(jax.value_and_grad(f))

    def one(carry):
        x, m, v, t, best = carry
        loss, g = value_and_grad(x)
        best = jnp.minimum(best, loss)
        if radius:
            g = g - (jnp.sum(x * g, axis=1) / radius ** 2)[:, None] * x
        t = t + 1
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        x = x - LR * (m / (1 - B1 ** t)) / (jnp.sqrt(v / (1 - B2 ** t)) + EPS)
        if radius:
            x = x * (radius / jnp.linalg.norm(x, axis=1))[:, None]
        return (x, m, v, t, best)

    fn = jax.jit((lambda c: jax.lax.fori_loop(0, loop, lambda i, c: one(c), c)) if loop else one, donate_argnums=0)
    state = {"c": (jnp.asarray(X), jnp.zeros_like(X), jnp.zeros_like(X), jnp.asarray(0.0),
                   jnp.full(X.shape[0], jnp.inf))}

    def step() -> int:
        state["c"] = fn(state["c"])
        state["c"][0].block_until_ready()
        return loop or 1

    return step, state


# ------------------------------------------------------------------ p-spin and mlp (from the landscape's data)

def pspin_parts(land):
    """(p, N, scale, T as (N^(p-1), N)) of a p-spin landscape."""
    p, N, scale = int(land.data[0]), int(land.data[1]), float(land.data[2])
    return p, N, scale, land.data[3:].reshape(N ** (p - 1), N)


def mlp_parts(land):
    """(Xd, y, inputs, width) of a depth-1 tanh teacher mlp."""
    d = land.data
    n, inputs, width, depth, act, _skip, task = (int(v) for v in d[:7])
    if depth != 1 or act != 0 or task != 0:
        raise ValueError("the mlp baselines cover depth=1 tanh teacher networks")
    Xd = d[7:7 + n * inputs].reshape(n, inputs)
    return Xd, d[7 + n * inputs:7 + n * inputs + n], inputs, width


def numpy_land_vg(land):
    """Batched value and gradient in plain vectorised NumPy for p-spin (p=3) and mlp."""
    if land.name == "p-spin":
        p, N, scale, T = pspin_parts(land)
        if p != 3:
            raise ValueError("the p-spin baselines cover p=3")

        def vg(X):
            Y = (X @ T.T).reshape(X.shape[0], N, N)            # one GEMM, as the kernel does
            G = -3.0 * scale * np.einsum("bij,bj->bi", Y, X)
            return (G * X).sum(axis=1) / 3.0, G
        return vg
    if land.name == "mlp":
        Xd, y, inputs, width = mlp_parts(land)
        n = len(y)

        def vg(X):
            B = X.shape[0]
            o = 0
            W = X[:, o:o + width * inputs].reshape(B, width, inputs)
            o += width * inputs
            b1 = X[:, o:o + width]
            wo = X[:, o + width:o + 2 * width]
            bo = X[:, o + 2 * width]
            A = np.tanh(np.matmul(Xd[None], W.transpose(0, 2, 1)) + b1[:, None, :])  # (B, n, width)
            res = np.matmul(A, wo[:, :, None])[:, :, 0] + bo[:, None] - y[None]
            dout = res / n
            G = np.empty_like(X)
            dz = dout[:, :, None] * wo[:, None, :] * (1.0 - A * A)
            G[:, :width * inputs] = np.matmul(dz.transpose(0, 2, 1), Xd[None]).reshape(B, -1)
            G[:, width * inputs:width * inputs + width] = dz.sum(axis=1)
            G[:, o + width:o + 2 * width] = np.matmul(A.transpose(0, 2, 1), dout[:, :, None])[:, :, 0]
            G[:, o + 2 * width] = dout.sum(axis=1)
            return 0.5 * (res * res).sum(axis=1) / n, G
        return vg
    raise KeyError(land.name)


def numpy_land_adam(land, X: np.ndarray):
    """Adam in NumPy with the engine's sphere handling (tangent gradient, then retraction)."""
    return _numpy_adam(numpy_land_vg(land), X, float(land.radius) if land.manifold == "sphere" else 0.0)


def jax_land_adam(land, X: np.ndarray, loop: int = 0):
    """JAX jit + vmap + grad of the same loss (p-spin p=3 on the sphere, or the mlp)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    radius = float(land.radius) if land.manifold == "sphere" else 0.0
    if land.name == "p-spin":
        _p, N, scale, T = pspin_parts(land)
        T3 = jnp.asarray(T.reshape(N, N, N))
        f = lambda x: -scale * jnp.einsum("ijk,i,j,k->", T3, x, x, x)  # noqa: E731
    else:
        Xd, y, inputs, width = mlp_parts(land)
        Xj, yj = jnp.asarray(Xd), jnp.asarray(y)

        def f(w):
            W = w[:width * inputs].reshape(width, inputs)
            b1 = w[width * inputs:width * inputs + width]
            wo = w[width * inputs + width:width * inputs + 2 * width]
            out = jnp.tanh(Xj @ W.T + b1) @ wo + w[-1]
            return 0.5 * jnp.mean((out - yj) ** 2)
    return _jax_adam(f, X, loop, radius)
