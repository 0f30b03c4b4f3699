"""First-order built-ins: gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, perturbed-gd, langevin.

Each compiled step reads its hyper-parameters and state slots at positions named from the
catalog's declaration (``hyper_slots``, ``state_slots``); Numba takes them as constants.
"""
from __future__ import annotations

import numpy as np

from saddlescape.landscapes._kernel import counter_key, counter_normal, counter_uniform, deferred

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


@deferred(STEP_SIG)
def gd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Gradient descent (Cauchy 1847): x <- x - lr g."""
    lr = hyper[GD_LR]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                X[b, i] -= lr * G[b, i]


@deferred(STEP_SIG)
def sgd_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Stochastic gradient descent (Robbins & Monro 1951): the gradient plus Gaussian noise of
    scale ``noise`` (on data landscapes the engine samples real minibatches instead)."""
    lr, noise = hyper[SGD_LR], hyper[SGD_NOISE]
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                xi = noise * counter_normal(key, i) if noise > 0.0 else 0.0
                X[b, i] -= lr * (G[b, i] + xi)


@deferred(STEP_SIG)
def momentum_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Heavy ball (Polyak 1964): v <- beta v - lr g; x <- x + v."""
    lr, beta = hyper[MOMENTUM_LR], hyper[MOMENTUM_BETA]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                v = beta * S[MOMENTUM_V, b, i] - lr * G[b, i]
                S[MOMENTUM_V, b, i] = v
                X[b, i] += v


@deferred(STEP_SIG)
def nesterov_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Nesterov momentum (Nesterov 1983), in the form of Bengio et al. 2013 that needs the
    gradient at x only: v' = beta v - lr g; x <- x - beta v + (1 + beta) v'."""
    lr, beta = hyper[NESTEROV_LR], hyper[NESTEROV_BETA]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                v_old = S[NESTEROV_V, b, i]
                v = beta * v_old - lr * G[b, i]
                S[NESTEROV_V, b, i] = v
                X[b, i] += -beta * v_old + (1.0 + beta) * v


@deferred(STEP_SIG)
def adagrad_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """AdaGrad (Duchi, Hazan & Singer 2011): per-coordinate steps lr / sqrt(sum of g^2)."""
    lr, eps = hyper[ADAGRAD_LR], hyper[ADAGRAD_EPS]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                s = S[ADAGRAD_SUM, b, i] + g * g
                S[ADAGRAD_SUM, b, i] = s
                X[b, i] -= lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def rmsprop_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """RMSProp (Tieleman & Hinton 2012): steps scaled by a running RMS of the gradient."""
    lr, rho, eps = hyper[RMSPROP_LR], hyper[RMSPROP_RHO], hyper[RMSPROP_EPS]
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                s = rho * S[RMSPROP_MEAN, b, i] + (1.0 - rho) * g * g
                S[RMSPROP_MEAN, b, i] = s
                X[b, i] -= lr * g / (np.sqrt(s) + eps)


@deferred(STEP_SIG)
def adam_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Adam (Kingma & Ba 2015): bias-corrected first and second moment estimates."""
    lr, b1, b2, eps = hyper[ADAM_LR], hyper[ADAM_B1], hyper[ADAM_B2], hyper[ADAM_EPS]
    # 1 / (1 - beta^(t+1)) as -1 / expm1((t+1) ln beta): accurate for beta near 1 and ~5x cheaper than pow
    c1 = -1.0 / np.expm1((t + 1) * np.log(b1))
    c2 = -1.0 / np.expm1((t + 1) * np.log(b2))
    for b in range(X.shape[0]):
        if active[b]:
            for i in range(X.shape[1]):
                g = G[b, i]
                m = b1 * S[ADAM_M, b, i] + (1.0 - b1) * g
                v = b2 * S[ADAM_V, b, i] + (1.0 - b2) * g * g
                S[ADAM_M, b, i] = m
                S[ADAM_V, b, i] = v
                X[b, i] -= lr * (m * c1) / (np.sqrt(v * c2) + eps)


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


@deferred(STEP_SIG)
def langevin_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Langevin dynamics (Welling & Teh 2011; Raginsky et al. 2017):
    x <- x - lr g + sqrt(2 lr T) xi, xi ~ N(0, I)."""
    lr, temp = hyper[LANGEVIN_LR], hyper[LANGEVIN_T]
    amp = np.sqrt(2.0 * lr * temp)
    for b in range(X.shape[0]):
        if active[b]:
            key = counter_key(seed, b, t)
            for i in range(X.shape[1]):
                X[b, i] += -lr * G[b, i] + amp * counter_normal(key, i)
