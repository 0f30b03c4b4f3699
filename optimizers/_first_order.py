"""First-order built-ins: gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, perturbed-gd, langevin.

Each compiled step reads its hyper-parameters from ``hyper`` in the order the catalog declares.
"""
from __future__ import annotations

import numpy as np

from landscapes._kernel import counter_key, counter_normal, counter_uniform, deferred

from ._protocol import STEP_SIG


@deferred(STEP_SIG)
def gd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Gradient descent (Cauchy 1847): x <- x - lr g."""
    lr = hyper[0]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] -= lr * G[b, i]


@deferred(STEP_SIG)
def sgd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Stochastic gradient descent (Robbins & Monro 1951): the gradient plus Gaussian noise of
    scale ``noise`` (on data landscapes the engine samples real minibatches instead)."""
    lr, noise = hyper[0], hyper[1]
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                xi = noise * counter_normal(key, i) if noise > 0.0 else 0.0
                X[b, i] -= lr * (G[b, i] + xi)


@deferred(STEP_SIG)
def momentum_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Heavy ball (Polyak 1964): v <- beta v - lr g; x <- x + v."""
    lr, beta = hyper[0], hyper[1]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                v = beta * S[0, b, i] - lr * G[b, i]
                S[0, b, i] = v
                X[b, i] += v


@deferred(STEP_SIG)
def nesterov_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Nesterov momentum (Nesterov 1983), in the form of Bengio et al. 2013 that needs the
    gradient at x only: v' = beta v - lr g; x <- x - beta v + (1 + beta) v'."""
    lr, beta = hyper[0], hyper[1]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                v_old = S[0, b, i]
                v = beta * v_old - lr * G[b, i]
                S[0, b, i] = v
                X[b, i] += -beta * v_old + (1.0 + beta) * v


@deferred(STEP_SIG)
def adagrad_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """AdaGrad (Duchi, Hazan & Singer 2011): per-coordinate steps lr / sqrt(sum of g^2)."""
    lr, eps = hyper[0], hyper[1]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                s = S[0, b, i] + g * g
                S[0, b, i] = s
                X[b, i] -= lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def rmsprop_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """RMSProp (Tieleman & Hinton 2012): steps scaled by a running RMS of the gradient."""
    lr, rho, eps = hyper[0], hyper[1], hyper[2]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                s = rho * S[0, b, i] + (1.0 - rho) * g * g
                S[0, b, i] = s
                X[b, i] -= lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def adam_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Adam (Kingma & Ba 2015): bias-corrected first and second moment estimates."""
    lr, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    # 1 / (1 - beta^(t+1)) as -1 / expm1((t+1) ln beta): accurate for beta near 1 and ~5x cheaper than pow
    c1 = -1.0 / np.expm1((t + 1) * np.log(b1))
    c2 = -1.0 / np.expm1((t + 1) * np.log(b2))
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                m = b1 * S[0, b, i] + (1.0 - b1) * g
                v = b2 * S[1, b, i] + (1.0 - b2) * g * g
                S[0, b, i] = m
                S[1, b, i] = v
                X[b, i] -= lr * (m * c1) / (np.sqrt(v * c2) + eps)


@deferred(STEP_SIG)
def perturbed_gd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Perturbed gradient descent (Jin et al. 2017, Algorithm 2): when |g| <= g_thres and no
    perturbation happened in the last t_thres steps, add a point drawn uniformly from the
    ball of radius r; otherwise a gradient step. S[0, b, 0] holds the last perturbation step."""
    lr, g_thres, r, t_thres = hyper[0], hyper[1], hyper[2], hyper[3]
    D = X.shape[1]
    for b in range(X.shape[0]):
        if not active[b]:
            continue
        gn = 0.0
        for i in range(D):
            gn += G[b, i] * G[b, i]
        last = S[0, b, 0] if t > 0 else -1e18
        if np.sqrt(gn) <= g_thres and t - last > t_thres:
            key = counter_key(seed, b, t)
            norm = 0.0
            for i in range(D):
                z = counter_normal(key, i)
                S[1, b, i] = z
                norm += z * z
            scale = r * counter_uniform(key, 2 * D + 1) ** (1.0 / D) / np.sqrt(norm)
            for i in range(D):
                X[b, i] += scale * S[1, b, i]
            S[0, b, 0] = t
        else:
            if t == 0:
                S[0, b, 0] = -1e18
            for i in range(D):
                X[b, i] -= lr * G[b, i]


@deferred(STEP_SIG)
def langevin_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Langevin dynamics (Welling & Teh 2011; Raginsky et al. 2017):
    x <- x - lr g + sqrt(2 lr T) xi, xi ~ N(0, I)."""
    lr, temp = hyper[0], hyper[1]
    amp = np.sqrt(2.0 * lr * temp)
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                X[b, i] += -lr * G[b, i] + amp * counter_normal(key, i)
