"""Learning problems as landscapes: ``mlp`` (a small network on a synthetic data set) and
``logistic`` (logistic regression on linearly separable data).

The data set is generated from the seed; ``keys``/``batch`` in the value-and-gradient kernel
draw a minibatch (with replacement) for stochastic gradients. The mlp Hessian is exact to
rounding: in closed form for one hidden layer, and for deeper networks by the complex-step
method on the analytic gradient (Squire & Trapp 1998): the same backpropagation code runs on
complex weights w + i h e_j with h = 1e-30 (the Hessian-vector product, one such pass, always).
"""
from __future__ import annotations

import math

import numpy as np

from ._base import Landscape, check_bytes, landscape_rng
from ._data import load_dataset
from ._fastmath import tanh_any
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, counter_uniform, deferred, kernel, weighted_gram_into
from ._params import ParamError

ACTIVATIONS = ("tanh", "relu", "softplus", "linear")
TASKS = ("teacher", "spirals")
MLP_HEADER = 7  # n, inputs, width, depth, activation, skip, task
COMPLEX_STEP = 1e-30


@kernel()
def minibatch_rows(key, n, batch):
    """``batch`` row indices in [0, n), drawn with replacement from a counter key."""
    idx = np.empty(batch, np.int64)
    for j in range(batch):
        idx[j] = min(int(counter_uniform(key, j) * n), n - 1)
    return idx


# ---------------------------------------------------------------------------------------- mlp
@kernel()
def _activate(A, code, dA):
    """In place: A = act(A), dA = act'(A). The branch on ``code`` sits outside the loops so each
    loop vectorises (tanh on float64 through the branch-free ``tanh_any``); reading and writing
    the same array, not a separate input, keeps LLVM's overlap check from choosing the scalar loop."""
    n, m = A.shape
    if code == 0:  # one flat loop (both are C-contiguous blocks of the scratch): ~20% faster than two
        a_flat = A.reshape(n * m)
        d_flat = dA.reshape(n * m)
        for i in range(n * m):
            a = tanh_any(a_flat[i])
            a_flat[i] = a
            d_flat[i] = 1.0 - a * a
        return
    for r in range(n):
        for c in range(m):
            z = A[r, c]
            if code == 1:
                if z.real > 0.0:
                    dA[r, c] = 1.0
                else:
                    A[r, c] = 0.0 * z
                    dA[r, c] = 0.0
            elif code == 2:
                if z.real > 0.0:
                    e = np.exp(-z)
                    A[r, c] = z + np.log(1.0 + e)
                    dA[r, c] = 1.0 / (1.0 + e)
                else:
                    e = np.exp(z)
                    A[r, c] = np.log(1.0 + e)
                    dA[r, c] = e / (1.0 + e)
            else:
                dA[r, c] = 1.0


SMALL_FAN_IN = 4  # layers with at most this many inputs multiply in loops, not BLAS


@kernel()
def _dense_small(prev, W, bias, Z):
    """Z = W @ prev + bias for a small fan-in (the input layer), samples along the rows: each
    row of Z is a few multiply-adds of rows of ``prev``, vectorised over the samples (BLAS's
    GEMM spends ~0.4 ms on (512 x 2)(2 x 128), these loops ~50 us)."""
    m, k = W.shape
    n = prev.shape[1]
    for c in range(m):
        zc = Z[c]
        bc = bias[c]
        for r in range(n):
            zc[r] = bc
        for j in range(k):
            wcj = W[c, j]
            pj = prev[j]
            for r in range(n):
                zc[r] += wcj * pj[r]


@kernel()
def _rows_dot(a, b):
    """sum_r a[r] b[r] of two rows (vectorised under fastmath)."""
    t = 0.0 * a[0]
    for r in range(a.shape[0]):
        t += a[r] * b[r]
    return t


@kernel()
def mlp_work(n, width, depth, dtype_like):
    """The scratch one network evaluation needs: activations and their derivatives,
    ``(2, depth, width, n)``, samples last. Allocated once per kernel call, not per walker or
    Hessian column: fresh ~0.5 MB temporaries on every call cost more in page faults than the
    arithmetic."""
    return np.empty((2, depth, width, n), dtype=dtype_like.dtype)


@kernel()
def mlp_value_grad(w, g, Xt, y, inputs, width, depth, act, skip, task, work):
    """Loss and gradient of one network on the samples (columns of Xt, y); generic over
    float64/complex128. Every array holds samples along its last axis, so the loops at small
    widths run over the samples (128 by default), not over a handful of units: at width 8 a
    step took ~7 us a walker with units innermost. ``work`` is ``mlp_work(n, width, depth, w)``."""
    n = Xt.shape[1]
    A = work[0]  # every entry is written before it is read
    dA = work[1]
    off = 0
    for layer in range(depth):
        fan_in = inputs if layer == 0 else width
        W = w[off:off + width * fan_in].reshape((width, fan_in))
        off += width * fan_in
        bias = w[off:off + width]
        off += width
        prev = Xt if layer == 0 else A[layer - 1]
        Z = A[layer]  # pre-activations, replaced in place by the activations
        if fan_in <= SMALL_FAN_IN:
            _dense_small(prev, W, bias, Z)
        else:
            Z[:, :] = np.dot(W, prev)
            for c in range(width):
                bc = bias[c]
                for r in range(n):
                    Z[c, r] += bc
        _activate(Z, act, dA[layer])
        if skip and layer > 0:
            Z += prev
    wo = w[off:off + width]
    bo = w[off + width]
    top_a = A[depth - 1]
    out = np.empty(n, dtype=w.dtype)  # the two products with wo as loops: GEMV calls cost more at these sizes
    for r in range(n):
        out[r] = bo
    for c in range(width):
        wc = wo[c]
        ac = top_a[c]
        for r in range(n):
            out[r] += wc * ac[r]
    dout = np.empty(n, dtype=w.dtype)
    f = 0.0 * bo
    for r in range(n):
        if task == 0:
            res = out[r] - y[r]
            f += 0.5 * res * res
            dout[r] = res / n
        else:
            m = -y[r] * out[r]
            if m.real > 0.0:
                e = np.exp(-m)
                f += m + np.log(1.0 + e)
                dout[r] = -y[r] / (1.0 + e) / n
            else:
                e = np.exp(m)
                f += np.log(1.0 + e)
                dout[r] = -y[r] * e / (1.0 + e) / n
    for c in range(width):
        g[off + c] = _rows_dot(top_a[c], dout)
    g[off + width] = dout.sum()
    delta = np.empty((0, 0), dtype=w.dtype)  # the top layer's is wo dout^T, never formed
    for layer in range(depth - 1, -1, -1):
        fan_in = inputs if layer == 0 else width
        start = 0 if layer == 0 else inputs * width + width + (layer - 1) * (width * width + width)
        W = w[start:start + width * fan_in].reshape((width, fan_in))
        prev = Xt if layer == 0 else A[layer - 1]
        dz = dA[layer]  # overwritten in place by delta * dA (no temporaries), bias gradient on the way
        gb = g[start + width * fan_in:start + width * fan_in + width]
        top = layer == depth - 1
        for c in range(width):
            dzc = dz[c]
            if top:
                wc = wo[c]
                for r in range(n):
                    dzc[r] *= dout[r] * wc
            else:
                dc = delta[c]
                for r in range(n):
                    dzc[r] *= dc[r]
            gb[c] = dzc.sum()
        gW = g[start:start + width * fan_in].reshape((width, fan_in))
        if fan_in <= SMALL_FAN_IN:
            for c in range(width):
                for j in range(fan_in):
                    gW[c, j] = _rows_dot(dz[c], prev[j])
        else:
            gW[:, :] = np.dot(dz, prev.T)
        if layer > 0:
            back = np.dot(W.T, dz)
            if skip:
                back += np.outer(wo, dout) if top else delta
            delta = back
    return f / n


@kernel()
def _mlp_header(data):
    n = int(data[0])
    inputs = int(data[1])
    Xd = data[MLP_HEADER:MLP_HEADER + n * inputs].reshape((n, inputs))
    y = data[MLP_HEADER + n * inputs:MLP_HEADER + n * inputs + n]
    Xt = np.ascontiguousarray(Xd.T)  # (the samples as columns, as mlp_value_grad takes them)
    return n, inputs, int(data[2]), int(data[3]), int(data[4]), data[5] != 0.0, int(data[6]), Xd, Xt, y


@deferred(VALUE_AND_GRAD_SIG)
def mlp_vg(X, G, F, data, keys, batch):
    n, inputs, width, depth, act, skip, task, Xd, Xt, y = _mlp_header(data)
    work = mlp_work(batch if batch > 0 else n, width, depth, X)
    for b in range(X.shape[0]):
        if batch > 0:
            rows = minibatch_rows(keys[b], n, batch)
            F[b] = mlp_value_grad(X[b], G[b], np.ascontiguousarray(Xd[rows].T), np.ascontiguousarray(y[rows]),
                                  inputs, width, depth, act, skip, task, work)
        else:
            F[b] = mlp_value_grad(X[b], G[b], Xt, y, inputs, width, depth, act, skip, task, work)


@deferred(HVP_SIG)
def mlp_hvp(x, v, out, data):
    n, inputs, width, depth, act, skip, task, _Xd, Xt, y = _mlp_header(data)
    wc = x + 1j * COMPLEX_STEP * v
    gc = np.empty(x.shape[0], np.complex128)
    mlp_value_grad(wc, gc, Xt.astype(np.complex128), y.astype(np.complex128),
                   inputs, width, depth, act, skip, task, mlp_work(n, width, depth, wc))
    for i in range(x.shape[0]):
        out[i] = gc[i].imag / COMPLEX_STEP


HESSIAN_ROWS = 256  # samples whose Jacobian rows one GEMM of the one-layer Hessian takes (bounds the scratch)


@kernel()
def _slopes(z, act):
    """(act(z), act'(z), act''(z)) of one pre-activation, as ``_activate`` takes them."""
    if act == 0:
        a = tanh_any(z)
        s1 = 1.0 - a * a
        return a, s1, -2.0 * a * s1
    if act == 1:
        return (z, 1.0, 0.0) if z > 0.0 else (0.0, 0.0, 0.0)
    if act == 2:
        a, s = _softplus_and_sigmoid(z)
        return a, s, s * (1.0 - s)
    return z, 1.0, 0.0


@kernel()
def _mlp_hess_one_layer(x, H, Xd, y, inputs, width, act, task):
    """The exact Hessian of a one-hidden-layer network in closed form (Gauss-Newton plus the
    residual term), ~2 dim^2 samples flops in one GEMM (``weighted_gram_into``): out_r = wo . act(W x_r + b) + bo and the
    mean loss l(out_r) give H = J^T diag(l'') J / n + sum_r l'(out_r) d2 out_r / n, where J's row r
    is d out_r / d w and d2 out_r couples only the weights of one hidden unit (its inputs, its bias
    and its output weight). The complex step formed dim complex gradients: 117 ms at width 64
    (dim 257), ~1 ms this way."""
    n = Xd.shape[0]
    D = x.shape[0]
    k = inputs + 1  # a unit's inputs and its bias
    W = x[:width * inputs].reshape((width, inputs))
    b = x[width * inputs:width * inputs + width]
    wo = x[width * inputs + width:width * inputs + 2 * width]
    bo = x[D - 1]
    rows = min(n, HESSIAN_ROWS)
    J = np.empty((rows, D))  # d out_r / d w of a block of samples
    curv = np.empty(rows)  # l''(out_r) / n: H's first term is J^T diag(curv) J
    block = np.empty((0, 0)) if n <= rows else np.empty((D, D))  # (a later block's share, added to H)
    a = np.empty(width)
    s1 = np.empty(width)
    s2 = np.empty(width)
    xt = np.empty(k)
    unit2 = np.zeros((width, k, k))  # sum_r l' act'' x~ x~^T / n, x~ = (x_r, 1): times wo_c below
    unit1 = np.zeros((width, k))  # sum_r l' act' x~ / n: the coupling to the unit's output weight
    for start in range(0, n, rows):
        m = min(rows, n - start)
        for r in range(m):
            for j in range(inputs):
                xt[j] = Xd[start + r, j]
            xt[inputs] = 1.0
            out = bo
            for c in range(width):
                z = b[c]
                for j in range(inputs):
                    z += W[c, j] * xt[j]
                a[c], s1[c], s2[c] = _slopes(z, act)
                out += wo[c] * a[c]
            yr = y[start + r]
            if task == 0:
                d1 = out - yr
                d2 = 1.0
            else:  # softplus(-y out)
                _, s = _softplus_and_sigmoid(-yr * out)
                d1 = -yr * s
                d2 = yr * yr * s * (1.0 - s)
            d1 /= n
            curv[r] = d2 / n
            Jr = J[r]
            for c in range(width):
                g = wo[c] * s1[c]
                for j in range(inputs):
                    Jr[c * inputs + j] = g * xt[j]
                Jr[width * inputs + c] = g
                Jr[width * inputs + width + c] = a[c]
                t1 = d1 * s1[c]
                t2 = d1 * s2[c]
                for j in range(k):
                    unit1[c, j] += t1 * xt[j]
                if t2 != 0.0:
                    for i in range(k):
                        ti = t2 * xt[i]
                        for j in range(k):
                            unit2[c, i, j] += ti * xt[j]
            Jr[D - 1] = 1.0
        if start == 0:
            weighted_gram_into(J[:m], curv[:m], 0.0, H)
        else:
            weighted_gram_into(J[:m], curv[:m], 0.0, block)
            H += block
    for c in range(width):
        oc = width * inputs + width + c
        for i in range(k):
            pi = c * inputs + i if i < inputs else width * inputs + c
            for j in range(k):
                pj = c * inputs + j if j < inputs else width * inputs + c
                H[pi, pj] += wo[c] * unit2[c, i, j]
            H[pi, oc] += unit1[c, i]
            H[oc, pi] += unit1[c, i]


@deferred(HESSIAN_SIG)
def mlp_hess(x, H, data):
    n, inputs, width, depth, act, skip, task, Xd, Xt, y = _mlp_header(data)
    if depth == 1:  # (a skip connection joins hidden layers: none here)
        _mlp_hess_one_layer(x, H, Xd, y, inputs, width, act, task)
    else:
        _mlp_hess_complex_step(x, H, n, inputs, width, depth, act, skip, task, Xt, y)
    for i in range(H.shape[0]):  # symmetrise away rounding
        for j in range(i):
            h = 0.5 * (H[i, j] + H[j, i])
            H[i, j] = h
            H[j, i] = h


@kernel()
def _mlp_hess_complex_step(x, H, n, inputs, width, depth, act, skip, task, Xt, y):
    """Column j of H is the imaginary part of the gradient at w + i h e_j, over h."""
    Xc = Xt.astype(np.complex128)
    yc = y.astype(np.complex128)
    D = x.shape[0]
    wc = x.astype(np.complex128)
    gc = np.empty(D, np.complex128)
    work = mlp_work(n, width, depth, wc)
    for j in range(D):
        wc[j] = x[j] + 1j * COMPLEX_STEP
        mlp_value_grad(wc, gc, Xc, yc, inputs, width, depth, act, skip, task, work)
        wc[j] = x[j]
        for i in range(D):
            H[i, j] = gc[i].imag / COMPLEX_STEP


def _teacher_data(rng, n, inputs):
    Xd = rng.standard_normal((n, inputs))
    V = rng.standard_normal((4, inputs)) / math.sqrt(inputs)
    a = rng.standard_normal(4)
    return Xd, np.tanh(Xd @ V.T) @ a


def _spirals_data(rng, n):
    t = np.sqrt(rng.uniform(0.05, 1.0, n))
    label = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    angle = 3.0 * math.pi * t + np.where(label > 0, 0.0, math.pi)
    Xd = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) * 2.0
    return Xd + 0.02 * rng.standard_normal(Xd.shape), label


def build_mlp(dim: int, seed: int, params: dict) -> Landscape:
    inputs, width, depth, n = params["inputs"], params["width"], params["depth"], params["samples"]
    task = params["task"]
    if params["data"]:  # the user's: inputs and samples from the file, task picks the loss
        Xd, y = load_dataset(params["data"], "landscape 'mlp'")
        n, inputs = Xd.shape
        if task == "spirals":
            y = _plus_minus_labels(y, params["data"], "mlp")
    elif task == "spirals" and inputs != 2:
        raise ParamError(f"mlp parameter inputs={inputs} is not allowed with task='spirals'; use inputs=2")
    check_bytes(8.0 * n * (inputs + 2 * width * depth + 2), f"mlp data and activations of {n:,} samples",
                "use fewer samples, inputs or width")
    rng = landscape_rng("mlp", seed)
    if not params["data"]:
        Xd, y = _teacher_data(rng, n, inputs) if task == "teacher" else _spirals_data(rng, n)
    header = [n, inputs, width, depth, ACTIVATIONS.index(params["activation"]),
              float(params["skip"]), TASKS.index(task)]
    data = np.concatenate([header, Xd.ravel(), y]).astype(np.float64)
    fan_ins = [inputs] + [width] * (depth - 1)
    scales = np.concatenate([np.full(width * f + width, 1.0 / math.sqrt(f)) for f in fan_ins]
                            + [np.full(width + 1, 1.0 / math.sqrt(width))])

    def sampler(rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.standard_normal((count, dim)) * scales  # LeCun-normal initialisation

    symmetries = ("hidden-permutation",) + (("hidden-sign",) if params["activation"] == "tanh" else ())
    known = {"infimum": 0.0, "n_samples": n,
             "references": ["Sagun et al. 2016 (Hessian of small networks)",
                            "Lang & Witbrock 1988 (two spirals)"]}
    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="mlp", dim=dim, value_and_grad_kernel=mlp_vg, hessian_kernel=mlp_hess, hvp_kernel=mlp_hvp,
        data=data, params=params, seed=seed, domain=(-2.0, 2.0), known=known, symmetries=symmetries,
        n_samples=n, sampler=sampler,
        summary=(f"{depth}x{width} {params['activation']} network on {params['data']} ({n} samples, "
                 f"{'squared' if task == 'teacher' else 'logistic'} loss), {dim} weights" if params["data"] else
                 f"{depth}x{width} {params['activation']} network, {task} task, {dim} weights"),
    )


# ----------------------------------------------------------------------------------- logistic
# data = [n, d, l2, scale, X (n x d), y (n)]; f = scale * sum log(1 + exp(-y w.x)) + l2 |w|^2 / 2,
# scale = 1/n (reduction "mean") or 1 ("sum", as Soudry et al. write it)
@kernel()
def _logistic_header(data):
    n = int(data[0])
    d = int(data[1])
    return n, d, data[2], data[3], data[4:4 + n * d].reshape((n, d)), data[4 + n * d:4 + n * d + n]


@kernel()
def _softplus_and_sigmoid(m):
    if m > 0.0:
        e = np.exp(-m)
        return m + np.log1p(e), 1.0 / (1.0 + e)
    e = np.exp(m)
    return np.log1p(e), e / (1.0 + e)


@deferred(VALUE_AND_GRAD_SIG)
def logistic_vg(X, G, F, data, keys, batch):
    n, d, l2, scale, Xd, y = _logistic_header(data)
    B = X.shape[0]
    if batch > 0:
        w = scale * n / batch  # the minibatch's mean, times n for a sum: an unbiased estimate either way
        for b in range(B):
            rows = minibatch_rows(keys[b], n, batch)
            f = 0.0
            for i in range(d):
                G[b, i] = l2 * X[b, i]
            for r in rows:
                z = 0.0
                for i in range(d):
                    z += Xd[r, i] * X[b, i]
                sp, sg = _softplus_and_sigmoid(-y[r] * z)
                f += sp * w
                for i in range(d):
                    G[b, i] += -y[r] * sg * w * Xd[r, i]
            sq = 0.0
            for i in range(d):
                sq += X[b, i] * X[b, i]
            F[b] = f + 0.5 * l2 * sq
        return
    Z = np.dot(X, Xd.T)  # (B, n)
    for b in range(B):
        f = 0.0
        for r in range(n):
            sp, sg = _softplus_and_sigmoid(-y[r] * Z[b, r])
            f += sp
            Z[b, r] = -y[r] * sg * scale
        sq = 0.0
        for i in range(d):
            sq += X[b, i] * X[b, i]
        F[b] = f * scale + 0.5 * l2 * sq
    Gd = np.dot(Z, Xd)
    for b in range(B):
        for i in range(d):
            G[b, i] = Gd[b, i] + l2 * X[b, i]


@kernel()
def _logistic_curvature(x, Xd, y, n, scale):
    z = np.dot(Xd, x)
    c = np.empty(n)
    for r in range(n):
        _sp, sg = _softplus_and_sigmoid(-y[r] * z[r])
        c[r] = sg * (1.0 - sg) * scale
    return c


@deferred(HESSIAN_SIG)
def logistic_hess(x, H, data):
    n, _d, l2, scale, Xd, y = _logistic_header(data)
    weighted_gram_into(Xd, _logistic_curvature(x, Xd, y, n, scale), l2, H)


@deferred(HVP_SIG)
def logistic_hvp(x, v, out, data):
    n, d, l2, scale, Xd, y = _logistic_header(data)
    c = _logistic_curvature(x, Xd, y, n, scale)
    t = np.dot(Xd, v) * c
    r = np.dot(Xd.T, t)
    for i in range(d):
        out[i] = r[i] + l2 * v[i]


def _plus_minus_labels(y: np.ndarray, path: str, owner: str) -> np.ndarray:
    """Class labels as -1/+1 (0/1 accepted and mapped); anything else is a one-line error."""
    values = set(np.unique(y).tolist())
    if values <= {0.0, 1.0}:
        return 2.0 * y - 1.0
    if not values <= {-1.0, 1.0}:
        odd = sorted(values - {-1.0, 1.0, 0.0})[:1] or [0.0]
        raise ParamError(f"landscape {owner!r} data={path!r} has the label {odd[0]:g}; class labels must be "
                         "-1/+1 (or 0/1)")
    return y


def logistic_data(land: Landscape) -> tuple[np.ndarray, np.ndarray]:
    """The data set of a ``logistic`` landscape: (X (samples, dim), y (samples,) in -1/+1)."""
    n, d = int(land.data[0]), int(land.data[1])
    return land.data[4:4 + n * d].reshape(n, d), land.data[4 + n * d:4 + n * d + n]


def build_logistic(dim: int, seed: int, params: dict) -> Landscape:
    n, l2, margin = params["samples"], params["l2"], params["margin"]
    if params["data"]:
        return _logistic_landscape(*load_dataset(params["data"], "landscape 'logistic'"), params, seed)
    check_bytes(8.0 * n * (dim + 1), f"logistic data of {n:,} samples x dim={dim:,}", "use fewer samples or dim")
    rng = landscape_rng("logistic", seed)
    w_star = rng.standard_normal(dim)
    w_star /= np.linalg.norm(w_star)
    # Gaussian points conditioned on lying at least `margin` from the separator, drawn directly:
    # the part along w_star from a normal truncated to |z| >= margin (the inverse CDF of its
    # tail), the rest unchanged (rejection sampling looped for ever above margin 6)
    from scipy.special import ndtr, ndtri

    Xd = rng.standard_normal((n, dim))
    Xd -= np.outer(Xd @ w_star, w_star)
    tail = ndtr(-margin)  # P(z >= margin)
    z = -ndtri(rng.uniform(0.0, 1.0, n) * tail)  # z >= margin, with the normal's tail law
    Xd += np.outer(np.where(rng.uniform(size=n) < 0.5, -z, z), w_star)
    y = np.sign(Xd @ w_star)
    land = _logistic_landscape(Xd, y, params, seed)
    land.known.update(separable=True, separator=list(w_star))
    if l2 == 0:
        land.known.update(has_minimum=False, infimum=0.0)
    land.summary = f"logistic regression, {n} separable points, l2={l2}"
    return land


def _logistic_landscape(Xd: np.ndarray, y: np.ndarray, params: dict, seed: int) -> Landscape:
    n, dim = Xd.shape
    l2 = params["l2"]
    if params["data"]:
        y = _plus_minus_labels(y, params["data"], "logistic")
    scale = 1.0 / n if params["reduction"] == "mean" else 1.0
    data = np.concatenate([[n, dim, l2, scale], Xd.ravel(), y]).astype(np.float64)
    known: dict = {"n_samples": n,
                   "references": ["Soudry et al. 2018 (GD on separable data diverges in norm, "
                                  "converges in direction to the max-margin separator)"]}
    if l2 > 0:
        known.update(n_critical_points=1, n_local_minima=1, counts_by_index={0: 1}, convex="strictly (l2 > 0)")
    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="logistic", dim=dim, value_and_grad_kernel=logistic_vg, hessian_kernel=logistic_hess,
        hvp_kernel=logistic_hvp, data=data, params=params, seed=seed, domain=(-3.0, 3.0), known=known,
        n_samples=n, summary=f"logistic regression on {params['data']} ({n} points), l2={l2}, {params['reduction']}",
    )
