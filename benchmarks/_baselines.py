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
    else:
        raise KeyError(name)
    return vg


def numpy_adam(name: str, X: np.ndarray):
    """A stepping function (plain vectorised NumPy) and its state."""
    vg = numpy_vg(name)
    state = {"x": X.copy(), "m": np.zeros_like(X), "v": np.zeros_like(X), "t": 0}

    def step() -> int:
        x, m, v = state["x"], state["m"], state["v"]
        _, g = vg(x)
        state["t"] += 1
        t = state["t"]
        m *= B1
        m += (1 - B1) * g
        v *= B2
        v += (1 - B2) * g * g
        x -= LR * (m / (1 - B1 ** t)) / (np.sqrt(v / (1 - B2 ** t)) + EPS)
        return 1

    return step, state


def jax_adam(name: str, X: np.ndarray, loop: int = 0):
    """JAX (jit + vmap + grad, float64, CPU); ``loop`` > 0 runs that many steps per call."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    if name == "rastrigin":
        f = lambda x: 10.0 * x.shape[0] + jnp.sum(x * x - 10.0 * jnp.cos(2 * jnp.pi * x))  # noqa: E731
    else:
        f = lambda x: 0.5 * jnp.sum(x ** 4 - 16 * x ** 2 + 5 * x)  # noqa: E731
    grad = jax.vmap(jax.grad(f))

    def one(carry, _=None):
        x, m, v, t = carry
        g = grad(x)
        t = t + 1
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        x = x - LR * (m / (1 - B1 ** t)) / (jnp.sqrt(v / (1 - B2 ** t)) + EPS)
        return (x, m, v, t)

    if loop:
        fn = jax.jit(lambda c: jax.lax.fori_loop(0, loop, lambda i, c: one(c), c), donate_argnums=0)
    else:
        fn = jax.jit(one, donate_argnums=0)
    state = {"c": (jnp.asarray(X), jnp.zeros_like(X), jnp.zeros_like(X), jnp.asarray(0.0))}

    def step() -> int:
        state["c"] = fn(state["c"])
        state["c"][0].block_until_ready()
        return loop or 1

    return step, state
