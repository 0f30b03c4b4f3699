"""First-order built-ins: gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, perturbed-gd, langevin.

Each compiled step reads its hyper-parameters and state slots at positions named from the
catalog's declaration (``hyper_slots``, ``state_slots``); Numba takes them as constants.
"""
from __future__ import annotations

import numpy as np

from saddlescape.landscapes._fastmath import fma
from saddlescape.landscapes._kernel import counter_key, counter_normal, counter_uniform, deferred, kernel

from ._catalog import hyper_slots, state_slots
from ._protocol import STEP_SIG

(GD_LR,) = hyper_slots("gd", "lr")
SGD_LR, SGD_NOISE = hyper_slots("sgd", "lr", "noise")
MOMENTUM_LR, MOMENTUM_BETA = hyper_slots("momentum", "lr", "beta")
(MOMENTUM_V,) = state_slots("momentum", "velocity")
NESTEROV_LR, NESTEROV_BETA = hyper_slots("nesterov", "lr", "beta")
(NESTEROV_V,) = state_slots("nesterov", "velocity")
ADAGRAD_LR, ADAGRAD_EPS = hyper_slots("adagrad", "lr", "eps")
(ADAGRAD_SUM,) = state_slots("adagrad", "sum_sq")
RMSPROP_LR, RMSPROP_RHO, RMSPROP_EPS = hyper_slots("rmsprop", "lr", "rho", "eps")
(RMSPROP_MEAN,) = state_slots("rmsprop", "mean_sq")
ADAM_LR, ADAM_B1, ADAM_B2, ADAM_EPS = hyper_slots("adam", "lr", "beta1", "beta2", "eps")
ADAM_M, ADAM_V = state_slots("adam", "m", "v")
PGD_LR, PGD_G_THRES, PGD_RADIUS, PGD_T_THRES = hyper_slots("perturbed-gd", "lr", "g_thres", "perturbation", "t_thres")
PGD_LAST, PGD_DIR = state_slots("perturbed-gd", "last_perturbation", "direction")
LANGEVIN_LR, LANGEVIN_T = hyper_slots("langevin", "lr", "temperature")


# Each element-wise method is three kernels and a step made of them: ``NAME_prep(hyper)`` (read
# once per call: hyper-parameters and what follows from them alone), ``NAME_at(k, t)`` (once per
# step: bias corrections and the like), ``NAME_elem(x, g, S, b, i, c, key)`` (one coordinate: the
# new x, state slots updated; ``key`` = counter_key(seed, b, t) for the methods that draw noise).
# The engine's fused loops inline the same three kernels, so both paths compute the same numbers.

@kernel(exact=True)
def gd_prep(hyper):
    return (hyper[GD_LR],)


@kernel(exact=True)
def gd_at(k, t):
    return k


@kernel(exact=True)
def gd_elem(x, g, S, b, i, c, key):
    return x - c[0] * g


@deferred(STEP_SIG)
def gd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Gradient descent (Cauchy 1847): x <- x - lr g."""
    c = gd_at(gd_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = gd_elem(X[b, i], G[b, i], S, b, i, c, 0)


@kernel(exact=True)
def sgd_prep(hyper):
    return (hyper[SGD_LR], hyper[SGD_NOISE])


@kernel(exact=True)
def sgd_at(k, t):
    return k


@kernel(exact=True)
def sgd_elem(x, g, S, b, i, c, key):
    lr, noise = c
    xi = noise * counter_normal(key, i) if noise > 0.0 else 0.0
    return x - lr * (g + xi)


@deferred(STEP_SIG)
def sgd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Stochastic gradient descent (Robbins & Monro 1951): the gradient plus Gaussian noise of
    scale ``noise`` (on data landscapes the engine samples real minibatches instead)."""
    c = sgd_at(sgd_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                X[b, i] = sgd_elem(X[b, i], G[b, i], S, b, i, c, key)


@kernel(exact=True)
def momentum_prep(hyper):
    return (hyper[MOMENTUM_LR], hyper[MOMENTUM_BETA])


@kernel(exact=True)
def momentum_at(k, t):
    return k


@kernel(exact=True)
def momentum_elem(x, g, S, b, i, c, key):
    lr, beta = c
    v = fma(beta, S[MOMENTUM_V, b, i], -lr * g)  # (fma: see _fastmath.fma)
    S[MOMENTUM_V, b, i] = v
    return x + v


@deferred(STEP_SIG)
def momentum_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Heavy ball (Polyak 1964): v <- beta v - lr g; x <- x + v."""
    c = momentum_at(momentum_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = momentum_elem(X[b, i], G[b, i], S, b, i, c, 0)


@kernel(exact=True)
def nesterov_prep(hyper):
    return (hyper[NESTEROV_LR], hyper[NESTEROV_BETA])


@kernel(exact=True)
def nesterov_at(k, t):
    return k


@kernel(exact=True)
def nesterov_elem(x, g, S, b, i, c, key):
    lr, beta = c
    v_old = S[NESTEROV_V, b, i]
    v = fma(beta, v_old, -lr * g)
    S[NESTEROV_V, b, i] = v
    return x + fma(1.0 + beta, v, -beta * v_old)


@deferred(STEP_SIG)
def nesterov_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Nesterov momentum (Nesterov 1983), in the form of Bengio et al. 2013 that needs the
    gradient at x only: v' = beta v - lr g; x <- x - beta v + (1 + beta) v'."""
    c = nesterov_at(nesterov_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = nesterov_elem(X[b, i], G[b, i], S, b, i, c, 0)


@kernel(exact=True)
def adagrad_prep(hyper):
    return (hyper[ADAGRAD_LR], hyper[ADAGRAD_EPS])


@kernel(exact=True)
def adagrad_at(k, t):
    return k


@kernel(exact=True)
def adagrad_elem(x, g, S, b, i, c, key):
    lr, eps = c
    s = S[ADAGRAD_SUM, b, i] + g * g
    S[ADAGRAD_SUM, b, i] = s
    return x - lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def adagrad_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """AdaGrad (Duchi, Hazan & Singer 2011): per-coordinate steps lr / sqrt(sum of g^2)."""
    c = adagrad_at(adagrad_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = adagrad_elem(X[b, i], G[b, i], S, b, i, c, 0)


@kernel(exact=True)
def rmsprop_prep(hyper):
    return (hyper[RMSPROP_LR], hyper[RMSPROP_RHO], hyper[RMSPROP_EPS])


@kernel(exact=True)
def rmsprop_at(k, t):
    return k


@kernel(exact=True)
def rmsprop_elem(x, g, S, b, i, c, key):
    lr, rho, eps = c
    s = fma(1.0 - rho, g * g, rho * S[RMSPROP_MEAN, b, i])
    S[RMSPROP_MEAN, b, i] = s
    return x - lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def rmsprop_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """RMSProp (Tieleman & Hinton 2012): steps scaled by a running RMS of the gradient."""
    c = rmsprop_at(rmsprop_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = rmsprop_elem(X[b, i], G[b, i], S, b, i, c, 0)


@kernel(exact=True)
def adam_prep(hyper):
    b1, b2 = hyper[ADAM_B1], hyper[ADAM_B2]
    return (hyper[ADAM_LR], b1, b2, hyper[ADAM_EPS], np.log(b1), np.log(b2))


SETTLED = -40.0  # (t+1) ln beta below this: beta^(t+1) < 5e-18, under a quarter ulp of 1


@kernel(exact=True)
def bias_correction(x):
    """-1 / expm1(x) = 1 / (1 - e^x) for x = (t+1) ln beta < 0, Adam's bias correction; exactly
    1.0 once e^x is below a quarter ulp of 1 (expm1 rounds to -1 there), without the libm call."""
    return 1.0 if x < SETTLED else -1.0 / np.expm1(x)


@kernel(exact=True)
def adam_at(k, t):
    lr, b1, b2, eps, log_b1, log_b2 = k
    # 1 / (1 - beta^(t+1)) as -1 / expm1((t+1) ln beta): accurate for beta near 1 and ~5x cheaper than pow
    return (lr, b1, b2, eps, bias_correction((t + 1) * log_b1), bias_correction((t + 1) * log_b2))


@kernel(exact=True)
def adam_elem(x, g, S, b, i, c, key):
    lr, b1, b2, eps, c1, c2 = c
    m = fma(1.0 - b1, g, b1 * S[ADAM_M, b, i])  # (fma: see _fastmath.fma)
    v = fma(1.0 - b2, g * g, b2 * S[ADAM_V, b, i])
    S[ADAM_M, b, i] = m
    S[ADAM_V, b, i] = v
    return x - lr * (m * c1) / (np.sqrt(v * c2) + eps)


@deferred(STEP_SIG)
def adam_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Adam (Kingma & Ba 2015): bias-corrected first and second moment estimates."""
    c = adam_at(adam_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] = adam_elem(X[b, i], G[b, i], S, b, i, c, 0)


@deferred(STEP_SIG)
def perturbed_gd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Perturbed gradient descent (Jin et al. 2017, Algorithm 2): when |g| <= g_thres and no
    perturbation happened in the last t_thres steps, add a point drawn uniformly from the
    ball of radius r; otherwise a gradient step. S[PGD_LAST, b, 0] holds the last perturbation step."""
    lr, g_thres, r, t_thres = hyper[PGD_LR], hyper[PGD_G_THRES], hyper[PGD_RADIUS], hyper[PGD_T_THRES]
    D = X.shape[1]
    for b in range(X.shape[0]):
        if not active[b]:
            continue
        gn = 0.0
        for i in range(D):
            gn += G[b, i] * G[b, i]
        last = S[PGD_LAST, b, 0] if t > 0 else -1e18
        if np.sqrt(gn) <= g_thres and t - last > t_thres:
            key = counter_key(seed, b, t)
            norm = 0.0
            for i in range(D):
                z = counter_normal(key, i)
                S[PGD_DIR, b, i] = z
                norm += z * z
            scale = r * counter_uniform(key, 2 * D + 1) ** (1.0 / D) / np.sqrt(norm)
            for i in range(D):
                X[b, i] += scale * S[PGD_DIR, b, i]
            S[PGD_LAST, b, 0] = t
        else:
            if t == 0:
                S[PGD_LAST, b, 0] = -1e18
            for i in range(D):
                X[b, i] -= lr * G[b, i]


@kernel(exact=True)
def langevin_prep(hyper):
    lr, temp = hyper[LANGEVIN_LR], hyper[LANGEVIN_T]
    return (lr, np.sqrt(2.0 * lr * temp))


@kernel(exact=True)
def langevin_at(k, t):
    return k


@kernel(exact=True)
def langevin_elem(x, g, S, b, i, c, key):
    lr, amp = c
    return x + fma(amp, counter_normal(key, i), -lr * g)


@deferred(STEP_SIG)
def langevin_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Langevin dynamics (Welling & Teh 2011; Raginsky et al. 2017):
    x <- x - lr g + sqrt(2 lr T) xi, xi ~ N(0, I)."""
    c = langevin_at(langevin_prep(hyper), t)
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                X[b, i] = langevin_elem(X[b, i], G[b, i], S, b, i, c, key)
